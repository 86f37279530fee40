{#- SCD2 satellite from a change log: every version of a key, with hashdiff, validity and delete flag.

    hash_key:     the parent hub's (or link's) hash key column, e.g. 'customer_hk'
    business_key: the source column(s) hashed into it, e.g. 'customer_id'
    source_model: the VIN model of the change log (needs is_deleted, record_source, _partition, _loaded_at)
    attributes:   the descriptive columns to keep and hash, e.g. ['first_name', 'last_name', ...]
    load_date:    the column a version is effective from (default updated_at)

    A version is one (key, load_date) of the change log; the same change loaded twice (re-runs, lookback
    overlap) is kept once, from the latest partition. is_deleted versions stay in the history; the key
    drops out of current state because its current version is deleted. Incremental runs merge on
    (hash_key, valid_from): the window's versions are combined with the stored versions of the same keys
    and valid_to/is_current are recomputed over that full history (scd2_from_changes). -#}
{% macro satellite(hash_key, business_key, source_model, attributes, load_date='updated_at') -%}
{%- set keys = strataflow._as_list(business_key) -%}
{{ config(indexes=strataflow.lookup_indexes([[hash_key, 'valid_from']])) }}
{%- set columns = [hash_key, 'valid_from', 'hashdiff'] + attributes + ['is_deleted', 'record_source', '_partition', '_loaded_at'] -%}
with window_changes as (
    select
        {{ strataflow.hash_key(keys) }} as {{ hash_key }},
        {{ load_date }} as valid_from,
        {{ strataflow.hashdiff(attributes + ['is_deleted']) }} as hashdiff,
        {{ (attributes + ['is_deleted', 'record_source', '_partition', '_loaded_at']) | join(',\n        ') }}
    from {{ ref(source_model) }}
    where {% for column in keys %}{{ column }} is not null and {% endfor %}{{ strataflow.incremental_window() }}
),

candidates as (
    select {{ columns | join(', ') }} from window_changes
    {%- if is_incremental() %}
    union all
    select {{ columns | join(', ') }} from {{ this }}
    where {{ hash_key }} in (select {{ hash_key }} from window_changes)
    {%- endif %}
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by {{ hash_key }}, valid_from order by _partition desc, _loaded_at desc
        ) as version_rank
    from candidates
),

distinct_versions as (
    select {{ columns | join(', ') }} from ranked where version_rank = 1
)

{{ strataflow.scd2_from_changes('distinct_versions', hash_key) }}
{%- endmacro %}
