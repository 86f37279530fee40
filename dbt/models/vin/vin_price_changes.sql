-- Price history change log (incremental): one row per price a product took; old_price NULL for the first.
select
    price_change_id,
    product_id,
    old_price,
    new_price,
    changed_at,
    created_at,
    updated_at,
    _op = 'D' as is_deleted,
    'shop.price_changes' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'price_changes') }}
