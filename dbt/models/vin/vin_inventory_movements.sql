-- Stock ledger change log (incremental): receipts, sales, returns, adjustments; quantity is signed
-- (+ into stock, - out of it). moved_at is when the stock moved, updated_at when it was booked.
select
    movement_id,
    product_id,
    movement_type,
    quantity,
    order_item_id,
    moved_at,
    created_at,
    updated_at,
    _op = 'D' as is_deleted,
    'shop.inventory_movements' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'inventory_movements') }}
