-- Vendor change log (scd1). A soft delete (deleted_at set, _op D) is a change like any other.
select
    vendor_id,
    vendor_name,
    email,
    country,
    created_at,
    updated_at,
    deleted_at,
    (_op = 'D' or deleted_at is not null) as is_deleted,
    'shop.vendors' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'vendors') }}
