{#- Indexes for a model's table on PostgreSQL, as the `indexes` config: the columns an incremental run
    looks rows up by (hash keys, business keys, the keys recompute_touched() deletes by). PostgreSQL would
    otherwise scan whole tables to find a day's few keys; DuckDB and Snowflake prune without indexes, so
    elsewhere this is empty. Created with the table (first build, --full-refresh).

    column_lists: e.g. [['order_hk'], ['order_id'], ['product_id', 'order_date']] -#}
{% macro lookup_indexes(column_lists) -%}
    {%- if target.type != 'postgres' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set indexes = [] -%}
    {%- for columns in column_lists -%}
        {%- do indexes.append({'columns': strataflow._as_list(columns)}) -%}
    {%- endfor -%}
    {{ return(indexes) }}
{%- endmacro %}

{#- A post-hook giving PostgreSQL planner statistics for a table just created (a `table` model every run; an
    incremental one on its first build or --full-refresh). Without them a fresh table is planned as if
    empty, and with the lookup indexes the planner then picks nested loops over millions of rows. An
    incremental run that changed a few percent of an analyzed table leaves it to autovacuum's analyze
    (which follows once ~10 % of the rows changed): re-analyzing every table every run cost ~15 % of an
    incremental run. Empty on other targets and for views. -#}
{% macro analyze_on_postgres() -%}
    {%- if execute and target.type == 'postgres' and model.config.materialized in ['table', 'incremental'] -%}
        {%- if model.config.materialized == 'table' or not strataflow._has_statistics(this) -%}
            analyze {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro _has_statistics(relation) -%}
    {%- set found = run_query(
        "select 1 from pg_stats where schemaname = '" ~ relation.schema | replace("'", "''")
        ~ "' and tablename = '" ~ relation.identifier | replace("'", "''") ~ "' limit 1"
    ) -%}
    {{ return(found.rows | length > 0) }}
{%- endmacro %}
