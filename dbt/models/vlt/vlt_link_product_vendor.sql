{{ config(unique_key='product_vendor_hk') }}
{{ strataflow.link(
    hash_key='product_vendor_hk',
    hubs={'product_hk': 'product_id', 'vendor_hk': 'vendor_id'},
    source_model='vin_products'
) }}
