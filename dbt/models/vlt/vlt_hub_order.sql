{{ config(unique_key='order_hk') }}
{{ strataflow.hub(
    hash_key='order_hk',
    business_key='order_id',
    sources=[{'model': 'vin_orders'}, {'model': 'vin_order_items'}, {'model': 'vin_payments'}]
) }}
