{{ config(unique_key='price_change_hk') }}
-- Current state of each price change (the price history, one row per price a product took).
{{ strataflow.cdc_merge(
    hash_key='price_change_hk',
    source_model='vin_price_changes',
    primary_key='price_change_id',
    attributes=['price_change_id', 'product_id', 'old_price', 'new_price', 'changed_at', 'created_at']
) }}
