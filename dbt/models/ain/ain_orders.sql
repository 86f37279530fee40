-- One row per current order (latest version, not deleted) with totals from its current order lines.
-- Incremental: a run recomputes the orders its window touched (macros/recompute_touched.sql).
{{ strataflow.recompute_touched('order_id', 'touched_orders', lookups=['customer_id']) }}
with orders as (
    select
        hub.order_hk,
        hub.order_id,
        sat.customer_id,
        sat.status,
        sat.currency,
        coalesce(sat.is_test, false) as is_test,
        sat.ordered_at,
        sat.total_amount
    from {{ ref('vlt_sat_order') }} as sat
    inner join {{ ref('vlt_hub_order') }} as hub on hub.order_hk = sat.order_hk
    where sat.is_current and not sat.is_deleted
        and {{ strataflow.touched_filter({'order_id': 'hub.order_id'}, 'touched_orders') }}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as units,
        sum(case when is_returned then quantity else 0 end) as returned_units,
        sum(line_amount) as items_amount,
        sum(case when is_returned then line_amount else 0 end) as returned_amount,
        sum(net_revenue) as net_revenue
    from {{ ref('ain_order_lines') }}
    where {{ strataflow.touched_filter({'order_id': 'order_id'}, 'touched_orders') }}
    group by order_id
)

select
    orders.order_hk,
    orders.order_id,
    orders.customer_id,
    orders.status,
    orders.currency,
    orders.is_test,
    {{ strataflow.is_revenue_order('orders.status', 'orders.is_test') }} as is_revenue_order,
    orders.ordered_at,
    {{ strataflow.utc_date('orders.ordered_at') }} as order_date,
    orders.total_amount,
    coalesce(line_totals.line_count, 0) as line_count,
    coalesce(line_totals.units, 0) as units,
    coalesce(line_totals.returned_units, 0) as returned_units,
    coalesce(line_totals.items_amount, 0) as items_amount,
    coalesce(line_totals.returned_amount, 0) as returned_amount,
    coalesce(line_totals.net_revenue, 0) as net_revenue
from orders
left join line_totals on line_totals.order_id = orders.order_id
