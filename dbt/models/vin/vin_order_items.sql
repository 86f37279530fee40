-- Order line change log (cdc). A detected hard delete carries only the key and updated_at; the order line
-- satellite takes its order_id and product_id from the link (cdc_merge fill_from), since a line never
-- moves to another order or product.
select
    order_item_id,
    order_id,
    product_id,
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
