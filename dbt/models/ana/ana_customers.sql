-- One row per current customer (latest version not deleted): current attributes and order measures.
with customers as (
    select
        hub.customer_hk,
        hub.customer_id,
        sat.first_name,
        sat.last_name,
        sat.email,
        sat.phone,
        sat.country,
        sat.city,
        sat.preferences,
        sat.created_at,
        sat.valid_from as updated_at
    from {{ ref('vlt_sat_customer') }} as sat
    inner join {{ ref('vlt_hub_customer') }} as hub on hub.customer_hk = sat.customer_hk
    where sat.is_current and not sat.is_deleted
),

revenue_orders as (
    select
        customer_id,
        count(*) as order_count,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(net_revenue) as lifetime_value
    from {{ ref('ain_orders') }}
    where is_revenue_order
    group by customer_id
)

select
    customers.*,
    coalesce(revenue_orders.order_count, 0) as order_count,
    revenue_orders.first_order_at,
    revenue_orders.last_order_at,
    coalesce(revenue_orders.lifetime_value, 0) as lifetime_value
from customers
left join revenue_orders on revenue_orders.customer_id = customers.customer_id
