{{ config(unique_key=['product_hk', 'valid_from']) }}
-- vendor_id and category_id are kept as attributes too: the links record every relationship ever seen,
-- the satellite says which one held when.
{{ strataflow.satellite(
    hash_key='product_hk',
    business_key='product_id',
    source_model='vin_products',
    attributes=['vendor_id', 'category_id', 'sku', 'product_name', 'price', 'currency', 'status',
                'has_thumbnail', 'created_at', 'deleted_at']
) }}
