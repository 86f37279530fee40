-- One row per product with a stock movement, a review or a price change: stock on hand, ratings and the
-- latest price change, from the current (not deleted) rows of the ledger, the reviews and the price history.
-- Incremental: a run recomputes the products whose movements, reviews or price changes its window touched.
{{ strataflow.recompute_touched('product_id', 'touched_products') }}
with movements as (
    select product_id, sum(quantity) as inventory_on_hand, count(*) as movement_count
    from {{ ref('vlt_sat_inventory_movement') }}
    where not is_deleted and {{ strataflow.touched_filter({'product_id': 'product_id'}, 'touched_products') }}
    group by product_id
),

reviews as (
    select product_id, count(*) as review_count, sum(rating) as rating_sum
    from {{ ref('vlt_sat_product_review') }}
    where not is_deleted and {{ strataflow.touched_filter({'product_id': 'product_id'}, 'touched_products') }}
    group by product_id
),

repricings as (
    select
        product_id,
        old_price,
        new_price,
        changed_at,
        row_number() over (partition by product_id order by changed_at desc, price_change_id desc) as recency
    from {{ ref('vlt_sat_price_change') }}
    where not is_deleted and old_price is not null and old_price <> new_price
        and {{ strataflow.touched_filter({'product_id': 'product_id'}, 'touched_products') }}
),

products as (
    select product_id from movements
    union
    select product_id from reviews
    union
    select product_id from {{ ref('vlt_sat_price_change') }}
    where not is_deleted and {{ strataflow.touched_filter({'product_id': 'product_id'}, 'touched_products') }}
)

select
    products.product_id,
    coalesce(movements.inventory_on_hand, 0) as inventory_on_hand,
    coalesce(movements.movement_count, 0) as movement_count,
    coalesce(reviews.review_count, 0) as review_count,
    {{ strataflow.ratio('reviews.rating_sum', 'reviews.review_count') }} as avg_rating,
    repricings.changed_at as last_price_change_at,
    repricings.old_price as last_old_price,
    repricings.new_price as last_new_price
from products
left join movements on movements.product_id = products.product_id
left join reviews on reviews.product_id = products.product_id
left join repricings on repricings.product_id = products.product_id and repricings.recency = 1
