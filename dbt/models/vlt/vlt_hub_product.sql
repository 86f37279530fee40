{{ config(unique_key='product_hk') }}
{{ strataflow.hub(
    hash_key='product_hk',
    business_key='product_id',
    sources=[{'model': 'vin_products'}, {'model': 'vin_order_items'}]
) }}
