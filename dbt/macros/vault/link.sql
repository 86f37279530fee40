{#- Link: one row per distinct relationship between hubs, holding when and where it was first seen.

    hash_key:       name of the link's hash key column, e.g. 'order_customer_hk'
    hubs:           hub hash key -> its business key column(s) in the source, in a fixed order, e.g.
                    {'order_hk': 'order_id', 'customer_hk': 'customer_id'}
    source_model:   the VIN model the relationship comes from
    dependent_keys: columns that tell apart several links between the same hub keys (an order line's id)
    load_date:      the column that dates a source row (default updated_at)

    The link hash key hashes every hub business key, then the dependent keys, in that order. Rows missing
    a hub key are skipped. Loads like a hub: window only, merge on hash_key, first seen wins. -#}
{% macro link(hash_key, hubs, source_model, dependent_keys=[], load_date='updated_at') -%}
{%- set hub_columns = [] -%}
{%- for columns in hubs.values() -%}
    {%- do hub_columns.extend(strataflow._as_list(columns)) -%}
{%- endfor -%}
{%- set key_columns = hub_columns + dependent_keys -%}
{{ config(indexes=strataflow.lookup_indexes([hash_key] + key_columns)) }}
with first_seen as (
    select
        {{ strataflow.hash_key(key_columns) }} as {{ hash_key }},
        {%- for hub_key, columns in hubs.items() %}
        {{ strataflow.hash_key(columns) }} as {{ hub_key }},
        {%- endfor %}
        {{ key_columns | join(', ') }},
        {{ load_date }} as load_date,
        record_source,
        row_number() over (partition by {{ key_columns | join(', ') }} order by {{ load_date }}) as seen_rank
    from {{ ref(source_model) }}
    where {% for column in key_columns %}{{ column }} is not null and {% endfor %}{{ strataflow.incremental_window() }}
)

{{ strataflow._keep_first_seen(hash_key, hubs.keys() | list + key_columns) }}
{%- endmacro %}
