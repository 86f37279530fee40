{{ config(unique_key='category_hk') }}
-- A parent category is a category too, even before its own row arrives.
{{ strataflow.hub(
    hash_key='category_hk',
    business_key='category_id',
    sources=[
        {'model': 'vin_categories'},
        {'model': 'vin_categories', 'columns': ['parent_category_id']},
        {'model': 'vin_products'}
    ]
) }}
