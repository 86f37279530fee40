{{ config(unique_key='order_item_hk') }}
-- Current state of each order line; a line deleted in the source (detected hard delete) is removed.
{{ strataflow.cdc_merge(
    hash_key='order_item_hk',
    source_model='vin_order_items',
    primary_key='order_item_id',
    hash_columns=['order_id', 'product_id', 'order_item_id'],
    attributes=['quantity', 'unit_price', 'discount', 'is_returned', 'created_at'],
    deletes='remove'
) }}
