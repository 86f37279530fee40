{#- The end of a hub or a link: from the CTE `first_seen` (load_date, record_source, seen_rank), the row
    each key was first seen in. An incremental run keeps a stored key unless this batch saw it earlier, so
    re-runs change nothing and a back-dated row moves load_date back.

    hash_key: the hash key column, merged on
    columns:  the other columns to keep (hub hash keys, business keys) -#}
{% macro _keep_first_seen(hash_key, columns) -%}
select batch.{{ hash_key }}, {{ strataflow._prefixed('batch', columns) }}, batch.load_date, batch.record_source
from first_seen as batch
{%- if is_incremental() %}
left join {{ this }} as stored on stored.{{ hash_key }} = batch.{{ hash_key }}
{%- endif %}
where batch.seen_rank = 1
{%- if is_incremental() %}
    and (stored.{{ hash_key }} is null or batch.load_date < stored.load_date)
{%- endif %}
{%- endmacro %}
