{{ config(unique_key='order_item_hk') }}
-- An order line links an order to a product; its own id tells apart two lines of the same product.
{{ strataflow.link(
    hash_key='order_item_hk',
    hubs={'order_hk': 'order_id', 'product_hk': 'product_id'},
    source_model='vin_order_items',
    dependent_keys=['order_item_id']
) }}
