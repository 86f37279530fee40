-- One row per product per UTC order day with at least one line in a revenue order.
select
    product_id,
    order_date as sales_date,
    count(distinct order_id) as order_count,
    sum(case when is_returned then 0 else quantity end) as units_sold,
    sum(case when is_returned then quantity else 0 end) as returned_units,
    sum(net_revenue) as net_revenue
from {{ ref('ain_order_lines') }}
where is_revenue_order
group by product_id, order_date
