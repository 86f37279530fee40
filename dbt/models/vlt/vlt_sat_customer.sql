{{ config(unique_key=['customer_hk', 'valid_from']) }}
{{ strataflow.satellite(
    hash_key='customer_hk',
    business_key='customer_id',
    source_model='vin_customers',
    attributes=['first_name', 'last_name', 'email', 'phone', 'country', 'city', 'preferences',
                'created_at', 'deleted_at']
) }}
