-- One row per product per ISO week (starting Monday) with sales; sums of the daily grain.
select
    product_id,
    {{ strataflow.week_start('sales_date') }} as week_start,
    sum(order_count) as order_count,
    sum(units_sold) as units_sold,
    sum(returned_units) as returned_units,
    sum(net_revenue) as net_revenue
from {{ ref('ana_product_sales_daily') }}
group by product_id, {{ strataflow.week_start('sales_date') }}
