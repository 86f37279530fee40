-- One row per current customer: model-ready features as of the latest order date in the data.
with as_of as (
    select max(order_date) as as_of_date from {{ ref('ain_orders') }}
),

recent_orders as (
    select
        orders.customer_id,
        count(*) as orders_30d,
        sum(orders.net_revenue) as revenue_30d
    from {{ ref('ain_orders') }} as orders
    cross join as_of
    where orders.is_revenue_order
        and orders.order_date >= {{ strataflow.add_days('as_of.as_of_date', -29) }}
    group by orders.customer_id
),

cancellations as (
    select customer_id, count(*) as cancelled_order_count
    from {{ ref('ain_orders') }}
    where status = 'cancelled' and not is_test
    group by customer_id
),

lines as (
    select
        customer_id,
        count(distinct product_id) as distinct_products,
        sum(quantity) as units,
        sum(case when is_returned then quantity else 0 end) as returned_units
    from {{ ref('ain_order_lines') }}
    where is_revenue_order
    group by customer_id
),

payments as (
    select orders.customer_id, count(distinct payment.method) as payment_methods
    from {{ ref('vlt_sat_order_payment') }} as payment
    inner join {{ ref('vlt_link_order_payment') }} as link on link.order_payment_hk = payment.order_payment_hk
    inner join {{ ref('ain_orders') }} as orders on orders.order_id = link.order_id
    where not payment.is_deleted and orders.is_revenue_order
    group by orders.customer_id
)

select
    customers.customer_id,
    as_of.as_of_date,
    customers.country,
    customers.phone is not null as has_phone,
    {{ strataflow.days_between(strataflow.utc_date('customers.created_at'), 'as_of.as_of_date') }} as tenure_days,
    customers.order_count,
    customers.lifetime_value,
    {{ strataflow.ratio('customers.lifetime_value', 'customers.order_count') }} as avg_order_value,
    {{ strataflow.days_between(strataflow.utc_date('customers.last_order_at'), 'as_of.as_of_date') }} as days_since_last_order,
    coalesce(recent_orders.orders_30d, 0) as orders_30d,
    coalesce(recent_orders.revenue_30d, 0) as revenue_30d,
    coalesce(cancellations.cancelled_order_count, 0) as cancelled_order_count,
    coalesce(lines.distinct_products, 0) as distinct_products,
    {{ strataflow.ratio('lines.returned_units', 'lines.units') }} as return_rate,
    coalesce(payments.payment_methods, 0) as payment_methods
from {{ ref('ana_customers') }} as customers
cross join as_of
left join recent_orders on recent_orders.customer_id = customers.customer_id
left join cancellations on cancellations.customer_id = customers.customer_id
left join lines on lines.customer_id = customers.customer_id
left join payments on payments.customer_id = customers.customer_id
