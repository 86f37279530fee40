-- One row per product per calendar month with sales; sums of the daily grain.
{{ strataflow.recompute_touched(['product_id', 'month_start'], 'touched_product_months') }}
select
    product_id,
    {{ strataflow.month_start('sales_date') }} as month_start,
    sum(order_count) as order_count,
    sum(units_sold) as units_sold,
    sum(returned_units) as returned_units,
    sum(net_revenue) as net_revenue
from {{ ref('ana_product_sales_daily') }}
{{ strataflow.touched_join({'product_id': 'product_id', 'month_start': strataflow.month_start('sales_date')}, 'touched_product_months') }}
group by product_id, {{ strataflow.month_start('sales_date') }}
