-- Order change log (incremental): one row per order per partition its status or amounts changed in.
select
    order_id,
    customer_id,
    status,
    currency,
    total_amount,
    shipping_note,
    is_test,
    ordered_at,
    created_at,
    updated_at,
    _op = 'D' as is_deleted,
    'shop.orders' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'orders') }}
