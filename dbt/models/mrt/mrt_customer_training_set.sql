-- The ML team's point-in-time-correct training view: one row per (customer, label_date), label_date every
-- UTC day on which the customer placed a revenue order. Attributes are those of the vlt_sat_customer
-- version in force at the end of label_date (the daily snapshot of that day, from the SCD2 history, not
-- today's state); order features count the orders before label_date; the label looks at the 30 days after
-- it. Nothing after label_date reaches a feature, so a model trained on it sees what it would have seen.
{{ config(materialized='view') }}
with revenue_orders as (
    select customer_id, order_date, net_revenue
    from {{ ref('ain_orders') }}
    where is_revenue_order and customer_id is not null
),

label_points as (
    select distinct customer_id, order_date as label_date from revenue_orders
),

versions as (
    select
        hub.customer_id,
        sat.country,
        sat.city,
        sat.phone,
        sat.created_at,
        sat.is_deleted,
        {{ strataflow.utc_date('sat.valid_from') }} as valid_from_date,
        {{ strataflow.utc_date('sat.valid_to') }} as valid_to_date
    from {{ ref('vlt_sat_customer') }} as sat
    inner join {{ ref('vlt_hub_customer') }} as hub on hub.customer_hk = sat.customer_hk
),

history as (
    select
        label_points.customer_id,
        label_points.label_date,
        count(earlier.order_date) as prior_order_count,
        coalesce(sum(earlier.net_revenue), 0) as prior_revenue,
        max(earlier.order_date) as last_prior_order_date
    from label_points
    left join revenue_orders as earlier
        on earlier.customer_id = label_points.customer_id and earlier.order_date < label_points.label_date
    group by label_points.customer_id, label_points.label_date
),

labels as (
    select
        label_points.customer_id,
        label_points.label_date,
        count(later.order_date) > 0 as reorder_within_30d
    from label_points
    left join revenue_orders as later
        on later.customer_id = label_points.customer_id
        and later.order_date > label_points.label_date
        and later.order_date <= {{ strataflow.add_days('label_points.label_date', 30) }}
    group by label_points.customer_id, label_points.label_date
)

select
    history.customer_id,
    history.label_date,
    versions.country as region,
    versions.city,
    versions.phone is not null as has_phone,
    coalesce(versions.is_deleted, false) as was_deleted,
    cast({{ strataflow.days_between(strataflow.utc_date('versions.created_at'), 'history.label_date') }} as integer) as tenure_days,
    history.prior_order_count,
    history.prior_revenue,
    cast({{ strataflow.days_between('history.last_prior_order_date', 'history.label_date') }} as integer) as days_since_prior_order,
    labels.reorder_within_30d
from history
inner join labels on labels.customer_id = history.customer_id and labels.label_date = history.label_date
left join versions
    on versions.customer_id = history.customer_id
    and versions.valid_from_date <= history.label_date
    and (versions.valid_to_date is null or versions.valid_to_date > history.label_date)
