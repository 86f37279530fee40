{#- MetricFlow's time spines span the data, not a fixed calendar: from the first UTC order day to the last,
    widened on both sides by `strataflow_time_spine_margin_days` (at least the longest cumulative window
    or offset of a metric in models/mrt/_metrics.yml, so every window and offset finds its days). A spine
    of 10,000 days cost the cumulative metric a range join over all of them; this one is a few hundred.
    Reads ana_category_sales_daily (one row per order day and category, rebuilt every run), so the spines
    follow the data at every run. Without any order the spine is the margin around 2024-01-01.
    Returns a query with one row: first_day (DATE) and day_count. -#}
{% macro time_spine_range() -%}
    {%- set margin = var('strataflow_time_spine_margin_days') | int -%}
    select
        {{ strataflow.add_days("coalesce(min(order_date), cast('2024-01-01' as date))", -margin) }} as first_day,
        {{ strataflow.days_between(
            "coalesce(min(order_date), cast('2024-01-01' as date))",
            "coalesce(max(order_date), cast('2024-01-01' as date))"
        ) }} + {{ 2 * margin + 1 }} as day_count
    from {{ ref('ana_category_sales_daily') }}
{%- endmacro %}
