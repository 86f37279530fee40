-- One row per current order line (not deleted) of a current order, with its order's context and measures.
-- Incremental: a run recomputes the lines of the orders its window touched (macros/recompute_touched.sql).
{{ strataflow.recompute_touched('order_id', 'touched_orders', lookups=['customer_id', ['product_id', 'order_date'], 'order_date']) }}
with orders as (
    select
        hub.order_id,
        sat.customer_id,
        sat.status,
        sat.ordered_at,
        {{ strataflow.is_revenue_order('sat.status', 'sat.is_test') }} as is_revenue_order
    from {{ ref('vlt_sat_order') }} as sat
    inner join {{ ref('vlt_hub_order') }} as hub on hub.order_hk = sat.order_hk
    where sat.is_current and not sat.is_deleted
        and {{ strataflow.touched_filter({'order_id': 'hub.order_id'}, 'touched_orders') }}
),

lines as (
    select
        link.order_item_id,
        link.order_id,
        link.product_id,
        item.quantity,
        item.unit_price,
        coalesce(item.discount, 0) as discount,
        coalesce(item.is_returned, false) as is_returned,
        item.quantity * item.unit_price - coalesce(item.discount, 0) as line_amount
    from {{ ref('vlt_sat_order_item') }} as item
    inner join {{ ref('vlt_link_order_item') }} as link on link.order_item_hk = item.order_item_hk
    where not item.is_deleted
        and {{ strataflow.touched_filter({'order_id': 'link.order_id'}, 'touched_orders') }}
)

select
    lines.order_item_id,
    lines.order_id,
    lines.product_id,
    orders.customer_id,
    orders.status as order_status,
    orders.is_revenue_order,
    orders.ordered_at,
    {{ strataflow.utc_date('orders.ordered_at') }} as order_date,
    lines.quantity,
    lines.unit_price,
    lines.discount,
    lines.is_returned,
    lines.line_amount,
    case when orders.is_revenue_order and not lines.is_returned then lines.line_amount else 0 end as net_revenue
from lines
inner join orders on orders.order_id = lines.order_id
