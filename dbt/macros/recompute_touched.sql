{#- Incremental template for the layers above the vault (AIN, ANA): recompute only the rows of the keys
    the run's partition window touched.

    key_columns: the column(s) a group of rows is replaced by, e.g. 'order_id' or ['product_id', 'sales_date']
                 (never NULL in the model)
    touched:     the name of a macro in macros/touched_keys.sql returning `select <key_columns> ...` for
                 the keys whose rows may have changed: a slice of ain_changed_keys; duplicates are fine
    lookups:     other columns (lists) downstream models select this model's rows by, indexed on
                 PostgreSQL like the key (macros/indexes.sql), e.g. ['customer_id', ['product_id', 'order_date']]

    A merge on a unique key cannot express "this key's rows are gone" (an order deleted, a line removed),
    so the model is incremental with strategy append and a pre-hook that deletes the touched keys' rows;
    the model then selects those keys' rows afresh, filtered with touched_filter() (one key column) or
    touched_join() (several). Hook, temp table and insert run in the materialization's one transaction
    (DuckDB, PostgreSQL), so a reader sees the old rows or the new ones. The model must not read
    {{ this }}: the touched rows are gone by then.
    First builds and --full-refresh select everything. -#}
{% macro recompute_touched(key_columns, touched, lookups=[]) -%}
    {%- set keys = strataflow._as_list(key_columns) -%}
    {#- Rendered while parsing, so that dbt records the refs of the touched keys (the hook and the filter
        render them only when the model runs incrementally). -#}
    {%- if not execute -%}
        {%- do strataflow._touched_sql(touched) -%}
    {%- endif -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=strataflow.lookup_indexes([keys] + lookups),
        pre_hook=["{{ strataflow.delete_touched(" ~ keys ~ ", '" ~ touched ~ "') }}"]
    ) }}
{%- endmacro %}

{#- The pre-hook: delete the touched keys' rows (nothing on a first build or --full-refresh). -#}
{% macro delete_touched(key_columns, touched) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    using ({{ strataflow._touched_sql(touched) }}) as touched
    where {% for column in key_columns %}{{ this }}.{{ column }} = touched.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endif -%}
{%- endmacro %}

{#- A predicate keeping the touched keys' rows: columns maps each key column to the expression holding
    it in the model's query, e.g. {'order_id': 'lines.order_id'}. `true` on a first build. An IN, not a
    correlated EXISTS, so an unqualified expression cannot be captured by the touched keys' own columns. -#}
{% macro touched_filter(columns, touched) -%}
    {%- if is_incremental() -%}
    {%- set expressions = columns.values() | list -%}
    {%- if expressions | length == 1 %}{{ expressions[0] }}{% else %}({{ expressions | join(', ') }}){% endif %} in (
        select {{ columns.keys() | join(', ') }} from ({{ strataflow._touched_sql(touched) }}) as touched
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- The same as a join, for keys of several columns: `from <table> {{ touched_join(...) }}`, nothing on a
    first build. PostgreSQL estimates a multi-column IN (a semi join) as if the columns were independent:
    it expected 70 % of the order lines to match the 5 % of (product, day) pairs a day touches (4 % did)
    and walked a whole index (1.9 s where a hash join takes 0.3 s). An inner join on the distinct touched
    keys is estimated per column and planned well on every adapter. The key columns come in as
    _touched_1, _touched_2, ..., so the model's own unqualified columns stay unambiguous; don't
    `select *` over the join. -#}
{% macro touched_join(columns, touched) -%}
    {%- if is_incremental() -%}
    inner join (
        select distinct {% for key in columns %}{{ key }} as _touched_{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor %}
        from ({{ strataflow._touched_sql(touched) }}) as touched_keys
    ) as touched on {% for expression in columns.values() %}touched._touched_{{ loop.index }} = {{ expression }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endif -%}
{%- endmacro %}

{% macro _touched_sql(touched) -%}
    {%- if touched not in strataflow -%}
        {{ exceptions.raise_compiler_error("recompute_touched: no macro named " ~ touched ~ " in macros/touched_keys.sql") }}
    {%- endif -%}
    {{ strataflow[touched]() }}
{%- endmacro %}
