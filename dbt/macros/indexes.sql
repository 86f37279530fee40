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

{#- A post-hook refreshing PostgreSQL's planner statistics of the table just built. Without them a freshly
    created table (first build, --full-refresh) is planned as if empty, and with the lookup indexes the
    planner then picks nested loops over millions of rows. Empty on other targets and for views. -#}
{% macro analyze_on_postgres() -%}
    {%- if target.type == 'postgres' and model.config.materialized in ['table', 'incremental'] -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
