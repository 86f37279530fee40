{{ config(unique_key='order_payment_hk') }}
-- Current state of each payment; a soft-deleted payment stays, flagged is_deleted.
{{ strataflow.cdc_merge(
    hash_key='order_payment_hk',
    source_model='vin_payments',
    primary_key='payment_id',
    hash_columns=['order_id', 'payment_id'],
    attributes=['method', 'amount', 'status', 'paid_at', 'created_at', 'deleted_at'],
    deletes='flag'
) }}
