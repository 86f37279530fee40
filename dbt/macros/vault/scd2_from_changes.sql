{#- SCD2 validity from a set of versions: each version is valid from its valid_from until the next
    version's valid_from (valid_to NULL for the current one).

    changes:    a CTE or relation with exactly one row per (key, valid_from)
    key:        the column(s) a history belongs to, e.g. 'customer_hk'
    valid_from: the column ordering the versions

    Always computed over every stored version of a key, never over one window's rows alone, so running
    partition windows out of order still yields a gapless, non-overlapping chain. -#}
{% macro scd2_from_changes(changes, key, valid_from='valid_from') -%}
{%- set keys = strataflow._as_list(key) -%}
select
    versions.*,
    lead({{ valid_from }}) over (partition by {{ keys | join(', ') }} order by {{ valid_from }}) as valid_to,
    lead({{ valid_from }}) over (partition by {{ keys | join(', ') }} order by {{ valid_from }}) is null as is_current
from {{ changes }} as versions
{%- endmacro %}
