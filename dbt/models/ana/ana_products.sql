-- The product entity: one row per current product (latest version not deleted) with its current
-- attributes, SCD2 attributes of its history, vendor and category, and the measures defined in _ana.yml:
-- inventory_on_hand, units_sold_30d, revenue_30d, return_rate, avg_rating, price_elasticity_score and
-- trending_score, as of the latest order date in the data. Rebuilt every run: the 30/7-day windows move
-- with as_of_date, and it reads only small per-product tables (the daily grain, ain_product_signals).
with versions as (
    select
        sat.*,
        lag(sat.price) over (partition by sat.product_hk order by sat.valid_from) as previous_price,
        count(*) over (partition by sat.product_hk) as version_count,
        min(sat.valid_from) over (partition by sat.product_hk) as first_valid_from
    from {{ ref('vlt_sat_product') }} as sat
),

products as (
    select
        hub.product_hk,
        hub.product_id,
        versions.sku,
        versions.product_name,
        versions.price,
        versions.currency,
        versions.status,
        versions.has_thumbnail,
        versions.vendor_id,
        versions.category_id,
        versions.created_at,
        versions.valid_from as updated_at,
        versions.previous_price,
        versions.version_count,
        versions.first_valid_from
    from versions
    inner join {{ ref('vlt_hub_product') }} as hub on hub.product_hk = versions.product_hk
    where versions.is_current and not versions.is_deleted
),

vendors as (
    select hub.vendor_id, sat.vendor_name
    from {{ ref('vlt_sat_vendor') }} as sat
    inner join {{ ref('vlt_hub_vendor') }} as hub on hub.vendor_hk = sat.vendor_hk
),

categories as (
    select hub.category_id, sat.category_name
    from {{ ref('vlt_sat_category') }} as sat
    inner join {{ ref('vlt_hub_category') }} as hub on hub.category_hk = sat.category_hk
),

as_of as (
    select max(order_date) as as_of_date from {{ ref('ain_orders') }}
),

sales as (
    select
        daily.product_id,
        sum(case when daily.sales_date >= {{ strataflow.add_days('as_of.as_of_date', -29) }}
            then daily.units_sold else 0 end) as units_sold_30d,
        sum(case when daily.sales_date >= {{ strataflow.add_days('as_of.as_of_date', -29) }}
            then daily.net_revenue else 0 end) as revenue_30d,
        sum(case when daily.sales_date >= {{ strataflow.add_days('as_of.as_of_date', -6) }}
            then daily.units_sold else 0 end) as units_sold_7d,
        sum(case when daily.sales_date >= {{ strataflow.add_days('as_of.as_of_date', -13) }}
            and daily.sales_date <= {{ strataflow.add_days('as_of.as_of_date', -7) }}
            then daily.units_sold else 0 end) as units_sold_prev_7d,
        sum(daily.units_sold) as units_sold,
        sum(daily.returned_units) as returned_units
    from {{ ref('ana_product_sales_daily') }} as daily
    cross join as_of
    group by daily.product_id
),

repricing as (
    select
        signals.product_id,
        signals.last_old_price as old_price,
        signals.last_new_price as new_price,
        {{ strataflow.utc_date('signals.last_price_change_at') }} as change_date,
        {{ strataflow.days_between(
            strataflow.utc_date('signals.last_price_change_at'),
            'least(' ~ strataflow.add_days(strataflow.utc_date('signals.last_price_change_at'), 13) ~ ', as_of.as_of_date)'
        ) }} + 1 as days_after
    from {{ ref('ain_product_signals') }} as signals
    cross join as_of
    where signals.last_price_change_at is not null
),

around_change as (
    select
        repricing.product_id,
        repricing.old_price,
        repricing.new_price,
        repricing.days_after,
        cast(sum(case when daily.sales_date < repricing.change_date then daily.units_sold else 0 end)
            as double precision) / 14 as daily_units_before,
        {{ strataflow.ratio(
            'sum(case when daily.sales_date >= repricing.change_date then daily.units_sold else 0 end)',
            'repricing.days_after'
        ) }} as daily_units_after
    from repricing
    left join {{ ref('ana_product_sales_daily') }} as daily
        on daily.product_id = repricing.product_id
        and daily.sales_date >= {{ strataflow.add_days('repricing.change_date', -14) }}
        and daily.sales_date <= {{ strataflow.add_days('repricing.change_date', 13) }}
    where repricing.days_after > 0
    group by repricing.product_id, repricing.old_price, repricing.new_price, repricing.days_after
)

select
    products.*,
    vendors.vendor_name,
    categories.category_name,
    as_of.as_of_date,
    cast(coalesce(sales.units_sold_30d, 0) as bigint) as units_sold_30d,
    coalesce(sales.revenue_30d, 0) as revenue_30d,
    cast(coalesce(sales.units_sold, 0) as bigint) as lifetime_units_sold,
    cast(coalesce(sales.returned_units, 0) as bigint) as lifetime_returned_units,
    {{ strataflow.ratio('sales.returned_units', 'sales.units_sold + sales.returned_units') }} as return_rate,
    cast(coalesce(signals.inventory_on_hand, 0) as bigint) as inventory_on_hand,
    coalesce(signals.review_count, 0) as review_count,
    signals.avg_rating,
    cast(coalesce(sales.units_sold_7d, 0) as bigint) as units_sold_7d,
    cast(coalesce(sales.units_sold_prev_7d, 0) as bigint) as units_sold_prev_7d,
    cast(coalesce(sales.units_sold_7d, 0) + 1 as double precision)
        / (coalesce(sales.units_sold_prev_7d, 0) + 1) as trending_score,
    signals.last_price_change_at,
    case when around_change.daily_units_before + around_change.daily_units_after > 0 then
        ((around_change.daily_units_after - around_change.daily_units_before)
            / ((around_change.daily_units_after + around_change.daily_units_before) / 2))
        / (cast(around_change.new_price - around_change.old_price as double precision)
            / ((around_change.new_price + around_change.old_price) / 2))
    end as price_elasticity_score
from products
cross join as_of
left join vendors on vendors.vendor_id = products.vendor_id
left join categories on categories.category_id = products.category_id
left join sales on sales.product_id = products.product_id
left join {{ ref('ain_product_signals') }} as signals on signals.product_id = products.product_id
left join around_change on around_change.product_id = products.product_id
