{#- A grain table of an entity: one row per (entity key, period) with the period's measures, incremental
    on the touched (key, period) pairs through recompute_touched(). A second entity at four grains is
    four one-call models.

    entity_key:       the entity's key column in source_model, e.g. 'product_id'
    grain:            'hour', 'day', 'week' (ISO, from Monday) or 'month'
    source_model:     a model with one row per event (hour/day, e.g. ain_order_lines) or the entity's
                      daily grain (week/month, which sum the day's measures)
    date_column:      the UTC date column of source_model, e.g. 'order_date'
    measures:         {column: aggregate expression}, in column order, e.g. {'units_sold': 'sum(quantity)'}
    touched:          the touched-keys macro (macros/touched_keys.sql) returning (entity_key, touched_period)
    touched_period:   the period column that macro names: the day for hour and day grains (the hourly
                      table keeps it as a column: a touched day replaces all its hours), else the
                      week/month start
    period_column:    the name of the grain's period column when it is not touched_period (the hour)
    timestamp_column: the event timestamp (hour grain only), e.g. 'ordered_at'; its UTC hour is the period
    where:            an optional filter on source_model's rows, e.g. 'is_revenue_order'

    Example (models/ana/ana_product_sales_weekly.sql):
        {{ strataflow.entity_grain('product_id', 'week', 'ana_product_sales_daily', 'sales_date',
                                   {'units_sold': 'sum(units_sold)'}, 'touched_product_weeks', 'week_start') }}
-#}
{% macro entity_grain(entity_key, grain, source_model, date_column, measures, touched, touched_period, period_column=none, timestamp_column=none, where=none) -%}
{%- set periods = {'day': date_column, 'week': strataflow.week_start(date_column), 'month': strataflow.month_start(date_column)} -%}
{%- if grain == 'hour' -%}
    {%- if timestamp_column is none or period_column is none -%}
        {{ exceptions.raise_compiler_error("entity_grain: the hour grain needs timestamp_column and period_column") }}
    {%- endif -%}
    {%- do periods.update({'hour': strataflow.utc_hour(timestamp_column)}) -%}
{%- endif -%}
{%- if grain not in periods -%}
    {{ exceptions.raise_compiler_error("entity_grain: grain must be hour, day, week or month, not " ~ grain) }}
{%- endif -%}
{%- set period = period_column or touched_period -%}
{%- set touched_expression = periods['day'] if grain in ['hour', 'day'] else periods[grain] -%}
{{ strataflow.recompute_touched([entity_key, touched_period], touched) }}
select
    {{ entity_key }},
    {%- if period != touched_period %}
    {{ periods[grain] }} as {{ period }},
    {%- endif %}
    {{ touched_expression }} as {{ touched_period }},
    {%- for name, expression in measures.items() %}
    {{ expression }} as {{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref(source_model) }}
{{ strataflow.touched_join({entity_key: entity_key, touched_period: touched_expression}, touched) }}
{%- if where %}
where {{ where }}
{%- endif %}
group by {{ entity_key }}{% if period != touched_period %}, {{ periods[grain] }}{% endif %}, {{ touched_expression }}
{%- endmacro %}
