{#- Current state of a change log: one row per key, its latest change by (load_date, _partition), with
    deletes (soft or hard, is_deleted) either flagged or removed.

    hash_key:     name of the hash key column, e.g. 'vendor_hk'
    source_model: the VIN model of the change log (needs is_deleted, record_source, _partition, _loaded_at)
    primary_key:  the source's primary key column(s), e.g. 'vendor_id'
    attributes:   the columns to keep, e.g. ['vendor_name', 'email', ...]
    hash_columns: the columns hashed into hash_key when that is not the primary key (a link's keys)
    deletes:      'flag' keeps a deleted key with is_deleted = true; 'remove' deletes its row
    load_date:    the column ordering the changes (default updated_at)
    fill_from:    where to look up hash_columns a change lacks, by primary key, e.g.
                  {'model': 'vlt_link_order_item', 'columns': ['order_id', 'product_id']}. A detected hard
                  delete carries only the key; once the partition holding the key's last full row has been
                  re-extracted, the change log has no row left to take them from, but the link still knows.

    Incremental runs merge on hash_key. The keys changed in the window are looked up in the whole change
    log (a join on the key, so only their rows are ranked) and their latest change wins, so an out-of-order or back-dated window can never overwrite a newer
    state, even a removed one. 'remove' adds a post-hook deleting is_deleted rows after the merge. -#}
{% macro cdc_merge(hash_key, source_model, primary_key, attributes, hash_columns=none, deletes='flag', load_date='updated_at', fill_from=none) -%}
{%- set keys = strataflow._as_list(primary_key) -%}
{{ config(indexes=strataflow.lookup_indexes([hash_key])) }}
{%- if deletes not in ['flag', 'remove'] -%}
    {{ exceptions.raise_compiler_error("cdc_merge: deletes must be 'flag' or 'remove', not " ~ deletes) }}
{%- endif -%}
{%- if deletes == 'remove' -%}
    {{ config(post_hook=["delete from {{ this }} where is_deleted"]) }}
{%- endif -%}
{%- set fill_columns = (fill_from or {}).get('columns', []) -%}
{%- set columns = [] -%}
{%- for column in keys + (hash_columns or []) + attributes + [load_date, 'is_deleted', 'record_source', '_partition', '_loaded_at'] -%}
    {%- if column not in columns %}{% do columns.append(column) %}{% endif -%}
{%- endfor -%}
with
{%- if is_incremental() %}
touched_keys as (
    select distinct {{ keys | join(', ') }} from {{ ref(source_model) }}
    where {% for column in keys %}{{ column }} is not null and {% endfor %}{{ strataflow.incremental_window() }}
),
{%- endif %}

change_log as (
    select
        {%- for column in columns %}
        {% if column in fill_columns %}coalesce(changes.{{ column }}, known.{{ column }}) as {{ column }}{% else %}changes.{{ column }}{% endif %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(source_model) }} as changes
    {%- if is_incremental() %}
    inner join touched_keys
        on {% for column in keys %}touched_keys.{{ column }} = changes.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endif %}
    {%- if fill_columns %}
    left join (
        select {{ keys | join(', ') }}, {% for column in fill_columns %}max({{ column }}) as {{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
        from {{ ref(fill_from['model']) }}
        {%- if is_incremental() %}
        where {% for column in keys %}{{ column }} in (select {{ column }} from touched_keys){% if not loop.last %} and {% endif %}{% endfor %}
        {%- endif %}
        group by {{ keys | join(', ') }}
    ) as known
        on {% for column in keys %}known.{{ column }} = changes.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endif %}
    where {% for column in keys %}changes.{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
),

ranked as (
    select
        change_log.*,
        row_number() over (
            partition by {{ keys | join(', ') }} order by {{ load_date }} desc, _partition desc, _loaded_at desc
        ) as change_rank
    from change_log
)

select
    {{ strataflow.hash_key(hash_columns or keys) }} as {{ hash_key }},
    {{ attributes | join(',\n    ') }},
    {{ load_date }}{% if load_date != 'updated_at' %} as updated_at{% endif %},
    is_deleted,
    record_source,
    _partition,
    _loaded_at
from ranked
where change_rank = 1
{%- endmacro %}
