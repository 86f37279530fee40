{{ config(unique_key='order_payment_hk') }}
-- A payment settles an order; its own id tells apart several payments of one order.
{{ strataflow.link(
    hash_key='order_payment_hk',
    hubs={'order_hk': 'order_id'},
    source_model='vin_payments',
    dependent_keys=['payment_id']
) }}
