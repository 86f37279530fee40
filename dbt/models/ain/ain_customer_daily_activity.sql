-- One row per customer per UTC day on which they placed at least one non-test order.
-- Incremental: a run recomputes every day of the customers its window touched.
{{ strataflow.recompute_touched('customer_id', 'touched_customers') }}
select
    customer_id,
    order_date as activity_date,
    count(*) as order_count,
    sum(case when status = 'cancelled' then 1 else 0 end) as cancelled_order_count,
    sum(case when is_revenue_order then 1 else 0 end) as revenue_order_count,
    sum(case when is_revenue_order then units - returned_units else 0 end) as units_sold,
    sum(net_revenue) as net_revenue
from {{ ref('ain_orders') }}
where not is_test
    and {{ strataflow.touched_filter({'customer_id': 'customer_id'}, 'touched_customers') }}
group by customer_id, order_date
