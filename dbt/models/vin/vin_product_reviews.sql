-- Product review change log (scd1): ratings edited by their authors, soft-deleted by moderation.
select
    review_id,
    product_id,
    customer_id,
    rating,
    title,
    created_at,
    updated_at,
    deleted_at,
    (_op = 'D' or deleted_at is not null) as is_deleted,
    'shop.product_reviews' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'product_reviews') }}
