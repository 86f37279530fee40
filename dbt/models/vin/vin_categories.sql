-- The latest category snapshot (load_type full), typed like the change logs so hubs and links read it alike.
select
    category_id,
    category_name,
    parent_category_id,
    updated_at,
    _op = 'D' as is_deleted,
    'shop.categories' as record_source,
    _partition,
    _loaded_at,
    _batch_id
from {{ source('shop', 'categories') }}
