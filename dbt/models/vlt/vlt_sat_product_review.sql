{{ config(unique_key='product_review_hk') }}
-- Current state of each review (scd1); a moderated (soft-deleted) review stays, flagged.
{{ strataflow.cdc_merge(
    hash_key='product_review_hk',
    source_model='vin_product_reviews',
    primary_key='review_id',
    attributes=['review_id', 'product_id', 'customer_id', 'rating', 'title', 'created_at', 'deleted_at']
) }}
