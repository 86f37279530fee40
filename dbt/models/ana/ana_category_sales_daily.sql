-- One row per UTC order day and product category with at least one line in a revenue order; a product
-- counts in its current category (its latest version, deleted or not).
-- Rebuilt every run (see _ana.yml): the touched days are nearly all recent days.
with product_categories as (
    select hub.product_id, sat.category_id
    from {{ ref('vlt_sat_product') }} as sat
    inner join {{ ref('vlt_hub_product') }} as hub on hub.product_hk = sat.product_hk
    where sat.is_current
)

select
    lines.order_date,
    product_categories.category_id,
    count(distinct lines.order_id) as order_count,
    cast(sum(case when lines.is_returned then 0 else lines.quantity end) as bigint) as units_sold,
    sum(lines.net_revenue) as net_revenue
from {{ ref('ain_order_lines') }} as lines
left join product_categories on product_categories.product_id = lines.product_id
where lines.is_revenue_order
group by lines.order_date, product_categories.category_id
