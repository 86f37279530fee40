-- One row per product per ISO week (starting Monday) with sales; sums of the daily grain.
{{ strataflow.entity_grain(
    entity_key='product_id',
    grain='week',
    source_model='ana_product_sales_daily',
    date_column='sales_date',
    touched='touched_product_weeks',
    touched_period='week_start',
    measures={
        'order_count': 'cast(sum(order_count) as bigint)',
        'units_sold': 'cast(sum(units_sold) as bigint)',
        'returned_units': 'cast(sum(returned_units) as bigint)',
        'net_revenue': 'cast(sum(net_revenue) as numeric(38, 2))',
    }
) }}
