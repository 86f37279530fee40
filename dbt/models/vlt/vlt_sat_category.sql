{{ config(materialized='table') }}
-- Categories arrive as full snapshots, so their satellite is simply the latest snapshot.
select
    {{ strataflow.hash_key('category_id') }} as category_hk,
    {{ strataflow.hashdiff(['category_name', 'parent_category_id']) }} as hashdiff,
    category_name,
    parent_category_id,
    updated_at,
    record_source,
    _partition,
    _loaded_at
from {{ ref('vin_categories') }}
where not is_deleted
