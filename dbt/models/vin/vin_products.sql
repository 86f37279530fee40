-- Product change log (scd2). The binary thumbnail stays in the lake; the warehouse keeps whether there is one.
select
    product_id,
    vendor_id,
    category_id,
    sku,
    product_name,
    price,
    currency,
    status,
    thumbnail is not null as has_thumbnail,
    created_at,
    updated_at,
    deleted_at,
    (_op = 'D' or deleted_at is not null) as is_deleted,
    'shop.products' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'products') }}
