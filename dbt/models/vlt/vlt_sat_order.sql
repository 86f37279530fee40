{{ config(unique_key=['order_hk', 'valid_from']) }}
-- customer_id is kept as an attribute too: the link records every relationship ever seen, the
-- satellite says which one held when.
{{ strataflow.satellite(
    hash_key='order_hk',
    business_key='order_id',
    source_model='vin_orders',
    attributes=['customer_id', 'status', 'currency', 'total_amount', 'shipping_note', 'is_test',
                'ordered_at', 'created_at']
) }}
