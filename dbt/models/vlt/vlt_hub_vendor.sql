{{ config(unique_key='vendor_hk') }}
{{ strataflow.hub(
    hash_key='vendor_hk',
    business_key='vendor_id',
    sources=[{'model': 'vin_vendors'}, {'model': 'vin_products'}]
) }}
