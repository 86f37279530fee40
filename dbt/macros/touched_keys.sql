{#- The touched-key sets recompute_touched() takes by name: slices of ain_changed_keys (the keys the run's
    window changed), named and typed as the model's key columns. -#}

{% macro touched_orders() -%}
    select id as order_id from {{ ref('ain_changed_keys') }} where kind = 'order'
{%- endmacro %}

{% macro touched_customers() -%}
    select id as customer_id from {{ ref('ain_changed_keys') }} where kind = 'customer'
{%- endmacro %}

{% macro touched_customer_days() -%}
    select id as customer_id, day as activity_date from {{ ref('ain_changed_keys') }} where kind = 'customer_day'
{%- endmacro %}

{% macro touched_product_days() -%}
    select id as product_id, day as sales_date from {{ ref('ain_changed_keys') }} where kind = 'product_day'
{%- endmacro %}

{% macro touched_product_weeks() -%}
    select distinct id as product_id, {{ strataflow.week_start('day') }} as week_start
    from {{ ref('ain_changed_keys') }} where kind = 'product_day'
{%- endmacro %}

{% macro touched_product_months() -%}
    select distinct id as product_id, {{ strataflow.month_start('day') }} as month_start
    from {{ ref('ain_changed_keys') }} where kind = 'product_day'
{%- endmacro %}

{% macro touched_products() -%}
    select id as product_id from {{ ref('ain_changed_keys') }} where kind = 'product'
{%- endmacro %}
