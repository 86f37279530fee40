{{ config(unique_key='vendor_hk') }}
-- Current state of each vendor (scd1); a soft-deleted vendor stays, flagged, since products still name it.
{{ strataflow.cdc_merge(
    hash_key='vendor_hk',
    source_model='vin_vendors',
    primary_key='vendor_id',
    attributes=['vendor_name', 'email', 'country', 'created_at', 'deleted_at']
) }}
