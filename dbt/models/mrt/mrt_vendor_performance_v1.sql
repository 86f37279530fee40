-- Version 1, deprecated (see _mrt.yml): replaced by version 2, which adds stock and ratings.
-- One row per vendor in its current state (deleted vendors kept, flagged): its current products and their
-- ana_products measures summed, as of the latest order date in the data.
with vendors as (
    select
        hub.vendor_id,
        sat.vendor_name,
        sat.country,
        sat.is_deleted
    from {{ ref('vlt_sat_vendor') }} as sat
    inner join {{ ref('vlt_hub_vendor') }} as hub on hub.vendor_hk = sat.vendor_hk
),

as_of as (
    select max(order_date) as as_of_date from {{ ref('ain_orders') }}
),

products as (
    select
        vendor_id,
        count(*) as product_count,
        cast(sum(case when status = 'active' then 1 else 0 end) as bigint) as active_products,
        cast(sum(units_sold_30d) as bigint) as units_sold_30d,
        sum(revenue_30d) as revenue_30d,
        sum(lifetime_units_sold) as lifetime_units_sold,
        sum(lifetime_returned_units) as lifetime_returned_units
    from {{ ref('ana_products') }}
    group by vendor_id
)

select
    vendors.vendor_id,
    vendors.vendor_name,
    vendors.country,
    vendors.is_deleted,
    as_of.as_of_date,
    coalesce(products.product_count, 0) as product_count,
    coalesce(products.active_products, 0) as active_products,
    coalesce(products.units_sold_30d, 0) as units_sold_30d,
    coalesce(products.revenue_30d, 0) as revenue_30d,
    {{ strataflow.ratio(
        'products.lifetime_returned_units',
        'products.lifetime_units_sold + products.lifetime_returned_units'
    ) }} as return_rate
from vendors
cross join as_of
left join products on products.vendor_id = vendors.vendor_id
