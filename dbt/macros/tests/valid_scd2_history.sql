{#- An SCD2 history is gapless and well formed: per key, each version's valid_to is the next version's
    valid_from, only the last version is current (valid_to NULL), and no version ends before it starts. -#}
{% test valid_scd2_history(model, key, valid_from='valid_from', valid_to='valid_to', is_current='is_current') %}
with versions as (
    select
        {{ key }} as history_key,
        {{ valid_from }} as version_from,
        {{ valid_to }} as version_to,
        {{ is_current }} as version_is_current,
        lead({{ valid_from }}) over (partition by {{ key }} order by {{ valid_from }}) as next_from
    from {{ model }}
)

select *
from versions
where (version_to is null and next_from is not null)
   or (version_to is not null and (next_from is null or version_to <> next_from))
   or version_is_current <> (version_to is null)
   or version_to <= version_from
{% endtest %}
