{#- Hash keys and hashdiffs. md5 over text is the one hash all three adapters compute identically, so a
    business key hashes to the same hash key on DuckDB, PostgreSQL and Snowflake. -#}

{#- The hash key of a business key (one column or a list): md5 of the upper/trimmed values joined by '||',
    a missing part written as '^^' (so (1, NULL) and (NULL, 1) differ); NULL when every part is NULL. -#}
{% macro hash_key(columns) -%}
    {%- set columns = strataflow._as_list(columns) -%}
    case when {% for column in columns %}{{ column }} is null{% if not loop.last %} and {% endif %}{% endfor %}
        then null
        else md5(
            {%- for column in columns %}
            coalesce(upper(trim(cast({{ column }} as varchar))), '^^'){% if not loop.last %} || '||' ||{% endif %}
            {%- endfor %}
        )
    end
{%- endmacro %}

{#- The hashdiff of descriptive attributes: md5 of every attribute's text in a fixed order, NULL as '^^'.
    Not upper-cased or trimmed: a change of case is a change. Compared within one warehouse only
    (timestamp text differs by adapter). -#}
{% macro hashdiff(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '^^'){% if not loop.last %} || '||' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
