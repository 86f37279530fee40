-- Customer change log (scd2): every version, soft deletes flagged. email and phone are sha256 hex already.
select
    customer_id,
    first_name,
    last_name,
    email,
    phone,
    country,
    city,
    preferences,
    created_at,
    updated_at,
    deleted_at,
    (_op = 'D' or deleted_at is not null) as is_deleted,
    'shop.customers' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'customers') }}
