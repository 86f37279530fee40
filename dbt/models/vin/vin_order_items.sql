-- Order line change log (cdc). A detected hard delete carries only the key and updated_at; a line never
-- moves to another order or product, so its order_id and product_id are filled in from its other rows,
-- letting the delete reach the order line link's hash key.
select
    order_item_id,
    coalesce(order_id, max(order_id) over (partition by order_item_id)) as order_id,
    coalesce(product_id, max(product_id) over (partition by order_item_id)) as product_id,
    quantity,
    unit_price,
    discount,
    is_returned,
    created_at,
    updated_at,
    _op = 'D' as is_deleted,
    'shop.order_items' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'order_items') }}
