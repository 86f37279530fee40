-- Payment change log (cdc). A soft delete (deleted_at set) arrives as _op D with its last values.
select
    payment_id,
    order_id,
    method,
    amount,
    status,
    paid_at,
    created_at,
    updated_at,
    deleted_at,
    (_op = 'D' or deleted_at is not null) as is_deleted,
    'shop.payments' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'payments') }}
