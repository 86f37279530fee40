{{ config(unique_key='order_customer_hk') }}
{{ strataflow.link(
    hash_key='order_customer_hk',
    hubs={'order_hk': 'order_id', 'customer_hk': 'customer_id'},
    source_model='vin_orders'
) }}
