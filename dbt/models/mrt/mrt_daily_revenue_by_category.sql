-- One row per UTC order day and product category with at least one line in a revenue order.
-- A product counts in its current category (its latest version, deleted or not).
with product_categories as (
    select hub.product_id, sat.category_id
    from {{ ref('vlt_sat_product') }} as sat
    inner join {{ ref('vlt_hub_product') }} as hub on hub.product_hk = sat.product_hk
    where sat.is_current
),

categories as (
    select hub.category_id, sat.category_name
    from {{ ref('vlt_sat_category') }} as sat
    inner join {{ ref('vlt_hub_category') }} as hub on hub.category_hk = sat.category_hk
)

select
    lines.order_date,
    product_categories.category_id,
    categories.category_name,
    count(distinct lines.order_id) as order_count,
    sum(case when lines.is_returned then 0 else lines.quantity end) as units_sold,
    sum(lines.net_revenue) as net_revenue
from {{ ref('ain_order_lines') }} as lines
left join product_categories on product_categories.product_id = lines.product_id
left join categories on categories.category_id = product_categories.category_id
where lines.is_revenue_order
group by lines.order_date, product_categories.category_id, categories.category_name
