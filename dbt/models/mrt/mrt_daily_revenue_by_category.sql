-- One row per UTC order day and product category with at least one line in a revenue order.
-- A view: the sales are ana_category_sales_daily's, the names those of the latest categories snapshot,
-- so a renamed category needs no table rewritten.
{{ config(materialized='view') }}
with categories as (
    select hub.category_id, sat.category_name
    from {{ ref('vlt_sat_category') }} as sat
    inner join {{ ref('vlt_hub_category') }} as hub on hub.category_hk = sat.category_hk
)

select
    daily.order_date,
    daily.category_id,
    categories.category_name,
    daily.order_count,
    daily.units_sold,
    daily.net_revenue
from {{ ref('ana_category_sales_daily') }} as daily
left join categories on categories.category_id = daily.category_id
