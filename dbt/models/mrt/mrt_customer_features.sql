-- One row per current customer: model-ready features as of the latest order date in the data.
-- Lifetime measures come from ana_customers and the 30-day ones from ain_customer_daily_activity, so this
-- table (rebuilt every run, because the as-of date moves every customer's 30 days) reads no order lines.
with as_of as (
    select max(order_date) as as_of_date from {{ ref('ain_orders') }}
),

recent as (
    select
        activity.customer_id,
        cast(sum(activity.revenue_order_count) as bigint) as orders_30d,
        sum(activity.net_revenue) as revenue_30d
    from {{ ref('ain_customer_daily_activity') }} as activity
    cross join as_of
    where activity.activity_date >= {{ strataflow.add_days('as_of.as_of_date', -29) }}
    group by activity.customer_id
)

select
    customers.customer_id,
    as_of.as_of_date,
    customers.country,
    customers.phone is not null as has_phone,
    cast({{ strataflow.days_between(strataflow.utc_date('customers.created_at'), 'as_of.as_of_date') }} as integer) as tenure_days,
    customers.order_count,
    customers.lifetime_value,
    {{ strataflow.ratio('customers.lifetime_value', 'customers.order_count') }} as avg_order_value,
    cast({{ strataflow.days_between(strataflow.utc_date('customers.last_order_at'), 'as_of.as_of_date') }} as integer) as days_since_last_order,
    coalesce(recent.orders_30d, 0) as orders_30d,
    coalesce(recent.revenue_30d, 0) as revenue_30d,
    customers.cancelled_order_count,
    customers.distinct_products,
    {{ strataflow.ratio('customers.units_returned', 'customers.units_purchased') }} as return_rate,
    customers.payment_methods,
    {{ strataflow.month_start(strataflow.utc_date('customers.first_order_at')) }} as cohort_month
from {{ ref('ana_customers') }} as customers
cross join as_of
left join recent on recent.customer_id = customers.customer_id
