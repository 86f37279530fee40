-- One row per product per ISO week (starting Monday) with sales; sums of the daily grain.
{{ strataflow.entity_grain(
    entity_key='product_id',
    grain='week',
    source_model='ana_product_sales_daily',
    date_column='sales_date',
    touched='touched_product_weeks',
    touched_period='week_start',
    measures={
        'order_count': 'sum(order_count)',
        'units_sold': 'sum(units_sold)',
        'returned_units': 'sum(returned_units)',
        'net_revenue': 'sum(net_revenue)',
    }
) }}
