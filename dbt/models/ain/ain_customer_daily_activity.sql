-- One row per customer per UTC day on which they placed at least one non-test order.
-- Incremental: a run recomputes the (customer, day) pairs of every version of the orders its window touched.
{{ strataflow.recompute_touched(['customer_id', 'activity_date'], 'touched_customer_days') }}
select
    customer_id,
    order_date as activity_date,
    count(*) as order_count,
    sum(case when status = 'cancelled' then 1 else 0 end) as cancelled_order_count,
    sum(case when is_revenue_order then 1 else 0 end) as revenue_order_count,
    sum(case when is_revenue_order then units - returned_units else 0 end) as units_sold,
    sum(net_revenue) as net_revenue
from {{ ref('ain_orders') }}
{{ strataflow.touched_join({'customer_id': 'customer_id', 'activity_date': 'order_date'}, 'touched_customer_days') }}
where not is_test
group by customer_id, order_date
