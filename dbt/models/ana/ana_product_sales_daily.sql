-- One row per product per UTC order day with at least one line in a revenue order.
-- Incremental: a run recomputes the (product, day) pairs of the lines of the orders its window touched.
{{ strataflow.recompute_touched(['product_id', 'sales_date'], 'touched_product_days') }}
select
    product_id,
    order_date as sales_date,
    count(distinct order_id) as order_count,
    sum(case when is_returned then 0 else quantity end) as units_sold,
    sum(case when is_returned then quantity else 0 end) as returned_units,
    sum(net_revenue) as net_revenue
from {{ ref('ain_order_lines') }}
{{ strataflow.touched_join({'product_id': 'product_id', 'sales_date': 'order_date'}, 'touched_product_days') }}
where is_revenue_order
group by product_id, order_date
