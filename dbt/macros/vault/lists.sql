{#- Small list helpers shared by the vault macros, so each macro accepts a column or a list of columns. -#}

{#- A column name or a list of them, as a list. -#}
{% macro _as_list(columns) -%}
    {{ return([columns] if columns is string else columns | list) }}
{%- endmacro %}

{#- "alias.a, alias.b": columns qualified with a table alias. -#}
{% macro _prefixed(alias, columns) -%}
    {%- for column in columns %}{{ alias }}.{{ column }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
