-- One row per product per UTC hour with at least one line in a revenue order (flash sales); sales_date is
-- the hour's day. Incremental: a touched (product, day) recomputes all its hours.
{{ strataflow.entity_grain(
    entity_key='product_id',
    grain='hour',
    source_model='ain_order_lines',
    date_column='order_date',
    timestamp_column='ordered_at',
    period_column='sales_hour',
    touched='touched_product_days',
    touched_period='sales_date',
    where='is_revenue_order',
    measures={
        'order_count': 'count(distinct order_id)',
        'units_sold': 'cast(sum(case when is_returned then 0 else quantity end) as bigint)',
        'returned_units': 'cast(sum(case when is_returned then quantity else 0 end) as bigint)',
        'net_revenue': 'cast(sum(net_revenue) as numeric(38, 2))',
    }
) }}
