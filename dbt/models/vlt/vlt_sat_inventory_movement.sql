{{ config(unique_key='inventory_movement_hk') }}
-- Current state of each stock movement: the ledger is append-only, so this is its rows once each.
{{ strataflow.cdc_merge(
    hash_key='inventory_movement_hk',
    source_model='vin_inventory_movements',
    primary_key='movement_id',
    attributes=['movement_id', 'product_id', 'movement_type', 'quantity', 'order_item_id', 'moved_at', 'created_at']
) }}
