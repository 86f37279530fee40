{#- A layer folder's schema is exactly its name (vin, vlt, ...), never prefixed with the target schema:
    the layers are shared warehouse contracts, not per-developer sandboxes. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
