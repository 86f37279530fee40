-- One row per product per ISO week (starting Monday) with sales; sums of the daily grain.
{{ strataflow.recompute_touched(['product_id', 'week_start'], 'touched_product_weeks') }}
select
    product_id,
    {{ strataflow.week_start('sales_date') }} as week_start,
    sum(order_count) as order_count,
    sum(units_sold) as units_sold,
    sum(returned_units) as returned_units,
    sum(net_revenue) as net_revenue
from {{ ref('ana_product_sales_daily') }}
{{ strataflow.touched_join({'product_id': 'product_id', 'week_start': strataflow.week_start('sales_date')}, 'touched_product_weeks') }}
group by product_id, {{ strataflow.week_start('sales_date') }}
