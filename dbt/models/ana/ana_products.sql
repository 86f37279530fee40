-- One row per current product (latest version not deleted): current attributes with vendor and category,
-- sales of the 30 days ending on the latest order date in the data, and the lifetime return rate.
with products as (
    select
        hub.product_hk,
        hub.product_id,
        sat.sku,
        sat.product_name,
        sat.price,
        sat.currency,
        sat.status,
        sat.has_thumbnail,
        sat.vendor_id,
        sat.category_id,
        sat.created_at,
        sat.valid_from as updated_at
    from {{ ref('vlt_sat_product') }} as sat
    inner join {{ ref('vlt_hub_product') }} as hub on hub.product_hk = sat.product_hk
    where sat.is_current and not sat.is_deleted
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
        sum(daily.units_sold) as units_sold,
        sum(daily.returned_units) as returned_units
    from {{ ref('ana_product_sales_daily') }} as daily
    cross join as_of
    group by daily.product_id
)

select
    products.*,
    vendors.vendor_name,
    categories.category_name,
    as_of.as_of_date,
    coalesce(sales.units_sold_30d, 0) as units_sold_30d,
    coalesce(sales.revenue_30d, 0) as revenue_30d,
    coalesce(sales.units_sold, 0) as lifetime_units_sold,
    coalesce(sales.returned_units, 0) as lifetime_returned_units,
    {{ strataflow.ratio('sales.returned_units', 'sales.units_sold + sales.returned_units') }} as return_rate
from products
cross join as_of
left join vendors on vendors.vendor_id = products.vendor_id
left join categories on categories.category_id = products.category_id
left join sales on sales.product_id = products.product_id
