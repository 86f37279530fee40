{{ config(unique_key='product_category_hk') }}
{{ strataflow.link(
    hash_key='product_category_hk',
    hubs={'product_hk': 'product_id', 'category_hk': 'category_id'},
    source_model='vin_products'
) }}
