-- One row per cohort month and months since the first order, for offsets with at least one active customer.
-- A customer's cohort is the UTC month of their first revenue order; they are active in a month when
-- they placed a revenue order in it.
-- The cohort comes from a window over each customer's months, not from joining a per-customer aggregate
-- back: PostgreSQL estimates such an aggregate CTE at 200 rows, and at 400,000 customers that join ran for
-- 14 minutes where this takes 2 s.
with active_months as (
    select distinct customer_id, {{ strataflow.month_start('activity_date') }} as activity_month
    from {{ ref('ain_customer_daily_activity') }}
    where revenue_order_count > 0
),

customer_months as (
    select
        customer_id,
        activity_month,
        min(activity_month) over (partition by customer_id) as cohort_month
    from active_months
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_size
    from customer_months
    where activity_month = cohort_month
    group by cohort_month
)

select
    customer_months.cohort_month,
    {{ strataflow.months_between('customer_months.cohort_month', 'customer_months.activity_month') }} as months_since_first_order,
    cohort_sizes.cohort_size,
    count(*) as active_customers,
    {{ strataflow.ratio('count(*)', 'cohort_sizes.cohort_size') }} as retention_rate
from customer_months
inner join cohort_sizes on cohort_sizes.cohort_month = customer_months.cohort_month
group by customer_months.cohort_month, customer_months.activity_month, cohort_sizes.cohort_size
