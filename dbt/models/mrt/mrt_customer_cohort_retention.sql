-- One row per cohort month and months since the first order, for offsets with at least one active customer.
-- A customer's cohort is the UTC month of their first revenue order; they are active in a month when
-- they placed a revenue order in it.
with active_months as (
    select distinct customer_id, {{ strataflow.month_start('activity_date') }} as activity_month
    from {{ ref('ain_customer_daily_activity') }}
    where revenue_order_count > 0
),

cohorts as (
    select customer_id, min(activity_month) as cohort_month
    from active_months
    group by customer_id
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_size
    from cohorts
    group by cohort_month
)

select
    cohorts.cohort_month,
    {{ strataflow.months_between('cohorts.cohort_month', 'active_months.activity_month') }} as months_since_first_order,
    cohort_sizes.cohort_size,
    count(*) as active_customers,
    {{ strataflow.ratio('count(*)', 'cohort_sizes.cohort_size') }} as retention_rate
from active_months
inner join cohorts on cohorts.customer_id = active_months.customer_id
inner join cohort_sizes on cohort_sizes.cohort_month = cohorts.cohort_month
group by cohorts.cohort_month, active_months.activity_month, cohort_sizes.cohort_size
