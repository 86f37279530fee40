{#- numerator / denominator as a double, NULL when the denominator is 0 or NULL: integer division
    truncates on PostgreSQL and would silently turn rates into 0. -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0)
{%- endmacro %}
