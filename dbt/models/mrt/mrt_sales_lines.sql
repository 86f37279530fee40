-- The metrics layer's fact: one row per current line of a revenue order, with the UTC order time, the
-- line's measures and its product's category and vendor (the latest product version, deleted or not, as in
-- ana_category_sales_daily). A view: it holds no data of its own, so every metric agrees with the marts.
{{ config(materialized='view') }}
with products as (
    select hub.product_id, sat.category_id, sat.vendor_id
    from {{ ref('vlt_sat_product') }} as sat
    inner join {{ ref('vlt_hub_product') }} as hub on hub.product_hk = sat.product_hk
    where sat.is_current
),

categories as (
    select hub.category_id, sat.category_name
    from {{ ref('vlt_sat_category') }} as sat
    inner join {{ ref('vlt_hub_category') }} as hub on hub.category_hk = sat.category_hk
),

vendors as (
    select hub.vendor_id, sat.vendor_name
    from {{ ref('vlt_sat_vendor') }} as sat
    inner join {{ ref('vlt_hub_vendor') }} as hub on hub.vendor_hk = sat.vendor_hk
)

select
    lines.order_item_id,
    lines.order_id,
    lines.product_id,
    lines.customer_id,
    {{ strataflow.utc_timestamp('lines.ordered_at') }} as ordered_at_utc,
    lines.order_date,
    lines.quantity,
    case when lines.is_returned then lines.quantity else 0 end as returned_units,
    case when lines.is_returned then 0 else lines.quantity end as units_sold,
    cast(lines.net_revenue as numeric(38, 2)) as net_revenue,
    products.category_id,
    categories.category_name,
    products.vendor_id,
    vendors.vendor_name
from {{ ref('ain_order_lines') }} as lines
left join products on products.product_id = lines.product_id
left join categories on categories.category_id = products.category_id
left join vendors on vendors.vendor_id = products.vendor_id
where lines.is_revenue_order
