{#- Hub: one row per business key, holding when and where the key was first seen.

    hash_key:     name of the hash key column, e.g. 'customer_hk'
    business_key: the key column(s) as the hub names them, e.g. 'customer_id' or ['region', 'code']
    sources:      every VIN model that carries the key, e.g.
                  [{'model': 'vin_customers'}, {'model': 'vin_orders'}] or, when the column is named
                  differently there, {'model': 'vin_products', 'columns': ['vendor_id']}
    load_date:    the column that dates a row in the sources (default updated_at)

    Rows with a NULL key part are skipped. Incremental runs read the partition window only and merge on
    hash_key; a stored key is only rewritten by a row dated earlier than its load_date, so re-runs change
    nothing and a back-dated row moves load_date back. -#}
{% macro hub(hash_key, business_key, sources, load_date='updated_at') -%}
{%- set keys = strataflow._as_list(business_key) -%}
{{ config(indexes=strataflow.lookup_indexes([hash_key, keys])) }}
with staged as (
    {%- for source in sources %}
    {%- set columns = source.get('columns', keys) %}
    select
        {%- for column in columns %}
        {{ column }} as {{ keys[loop.index0] }},
        {%- endfor %}
        {{ load_date }} as load_date,
        record_source
    from {{ ref(source['model']) }}
    where {% for column in columns %}{{ column }} is not null and {% endfor %}{{ strataflow.incremental_window() }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

first_seen as (
    select
        {{ strataflow.hash_key(keys) }} as {{ hash_key }},
        {{ keys | join(', ') }},
        load_date,
        record_source,
        row_number() over (partition by {{ keys | join(', ') }} order by load_date, record_source) as seen_rank
    from staged
)

{{ strataflow._keep_first_seen(hash_key, keys) }}
{%- endmacro %}

