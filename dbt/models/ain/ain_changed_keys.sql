-- The keys the run's partition window changed, followed to the grains the incremental AIN and ANA models
-- recompute (macros/recompute_touched.sql). Rebuilt every run; computed once here rather than in each model.
--   order        an order, one of its lines or one of its payments changed (lines and payments reach their
--                order through the links: a detected hard delete carries only its own key)
--   customer     the customer changed, or any version of a changed order belonged to them
--   customer_day (customer, UTC order day) of every version of a changed order: the days whose activity
--                may differ (a customer's own changes do not touch their activity)
--   product_day  (product, UTC order day) of every line of a changed order, over every version of the
--                order's ordered_at (a moved order empties its old day)
--   product      a stock movement, review or price change of the product changed (these rows never move
--                to another product: a ledger row is booked once, a review stays on its product)
-- The vault changes only through a window's rows, so this is complete. Without a window it holds every
-- key; on --full-refresh it is empty, since every model downstream then rebuilds in full.
{{ config(materialized='table') }}
with changed_orders as (
    select order_id from {{ ref('vin_orders') }}
    where order_id is not null and {{ strataflow.partition_window() }}
    union
    select order_id from {{ ref('vlt_link_order_item') }}
    where order_item_id in (select order_item_id from {{ ref('vin_order_items') }} where {{ strataflow.partition_window() }})
    union
    select order_id from {{ ref('vlt_link_order_payment') }}
    where payment_id in (select payment_id from {{ ref('vin_payments') }} where {{ strataflow.partition_window() }})
),

order_versions as (
    select sat.order_hk, hub.order_id, sat.customer_id, sat.ordered_at
    from {{ ref('vlt_sat_order') }} as sat
    inner join {{ ref('vlt_hub_order') }} as hub on hub.order_hk = sat.order_hk
    where hub.order_id in (select order_id from changed_orders)
),

changed_customers as (
    select customer_id from order_versions where customer_id is not null
    union
    select customer_id from {{ ref('vin_customers') }}
    where customer_id is not null and {{ strataflow.partition_window() }}
),

changed_customer_days as (
    select distinct customer_id, {{ strataflow.utc_date('ordered_at') }} as activity_date
    from order_versions
    where customer_id is not null and ordered_at is not null
),

changed_product_days as (
    select distinct link.product_id, {{ strataflow.utc_date('versions.ordered_at') }} as sales_date
    from {{ ref('vlt_link_order_item') }} as link
    inner join order_versions as versions on versions.order_id = link.order_id
    where versions.ordered_at is not null
),

changed_products as (
    select product_id from {{ ref('vin_inventory_movements') }}
    where product_id is not null and {{ strataflow.partition_window() }}
    union
    select product_id from {{ ref('vin_product_reviews') }}
    where product_id is not null and {{ strataflow.partition_window() }}
    union
    select product_id from {{ ref('vin_price_changes') }}
    where product_id is not null and {{ strataflow.partition_window() }}
),

changed_keys as (
    select 'order' as kind, cast(order_id as bigint) as id, cast(null as date) as day from changed_orders
    union all
    select 'customer', cast(customer_id as bigint), cast(null as date) from changed_customers
    union all
    select 'customer_day', cast(customer_id as bigint), activity_date from changed_customer_days
    union all
    select 'product_day', cast(product_id as bigint), sales_date from changed_product_days
    union all
    select 'product', cast(product_id as bigint), cast(null as date) from changed_products
)

select kind, id, day from changed_keys
{%- if flags.FULL_REFRESH %}
where false
{%- endif %}
