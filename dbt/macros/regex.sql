{#- True when the whole of a text value matches a regular expression (each adapter spells it differently). -#}
{% macro matches_regex(column, pattern) -%}
    {{ return(adapter.dispatch('matches_regex', 'strataflow')(column, pattern)) }}
{%- endmacro %}

{% macro default__matches_regex(column, pattern) -%}
    regexp_full_match({{ column }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__matches_regex(column, pattern) -%}
    ({{ column }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{#- Snowflake's REGEXP_LIKE already matches the whole string. -#}
{% macro snowflake__matches_regex(column, pattern) -%}
    regexp_like({{ column }}, '{{ pattern }}')
{%- endmacro %}
