{{ config(unique_key='customer_hk') }}
-- Customers are known from their own records and from the orders that name them.
{{ strataflow.hub(
    hash_key='customer_hk',
    business_key='customer_id',
    sources=[{'model': 'vin_customers'}, {'model': 'vin_orders'}]
) }}
