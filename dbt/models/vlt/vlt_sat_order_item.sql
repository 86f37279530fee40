{{ config(unique_key='order_item_hk') }}
-- Current state of each order line; a line deleted in the source (detected hard delete) is removed.
-- A delete whose line's full rows are no longer in the change log (their partition was re-extracted after
-- the delete) takes the line's order_id and product_id from the link, so it still reaches the line.
{{ strataflow.cdc_merge(
    hash_key='order_item_hk',
    source_model='vin_order_items',
    primary_key='order_item_id',
    hash_columns=['order_id', 'product_id', 'order_item_id'],
    attributes=['quantity', 'unit_price', 'discount', 'is_returned', 'created_at'],
    deletes='remove',
    fill_from={'model': 'vlt_link_order_item', 'columns': ['order_id', 'product_id']}
) }}
