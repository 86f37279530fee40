{#- The one definition of an order that counts towards revenue: not cancelled and not a test order
    (a NULL is_test counts as a real order). Used wherever orders are filtered, so measures agree. -#}
{% macro is_revenue_order(status, is_test) -%}
    ({{ status }} <> 'cancelled' and not coalesce({{ is_test }}, false))
{%- endmacro %}
