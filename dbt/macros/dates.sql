{#- Date helpers whose SQL differs between DuckDB, PostgreSQL and Snowflake. Each takes and returns SQL
    expressions; dates are DATE values, timestamps TIMESTAMP WITH TIME ZONE. -#}

{#- The UTC calendar date of a timestamptz, whatever the session time zone is. -#}
{% macro utc_date(timestamp) -%}
    {{ return(adapter.dispatch('utc_date', 'strataflow')(timestamp)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp) -%}
    cast(({{ timestamp }} at time zone 'UTC') as date)
{%- endmacro %}

{% macro snowflake__utc_date(timestamp) -%}
    cast(convert_timezone('UTC', {{ timestamp }}) as date)
{%- endmacro %}

{#- Monday of the ISO week of a date (Snowflake's date_trunc('week') depends on the WEEK_START parameter). -#}
{% macro week_start(date) -%}
    {{ return(adapter.dispatch('week_start', 'strataflow')(date)) }}
{%- endmacro %}

{% macro default__week_start(date) -%}
    cast(date_trunc('week', {{ date }}) as date)
{%- endmacro %}

{% macro snowflake__week_start(date) -%}
    cast(dateadd(day, 1 - dayofweekiso({{ date }}), {{ date }}) as date)
{%- endmacro %}

{#- First day of the month of a date (same SQL everywhere; here so models read alike). -#}
{% macro month_start(date) -%}
    cast(date_trunc('month', {{ date }}) as date)
{%- endmacro %}

{#- A date plus a number of days (negative to go back); the result is a DATE. -#}
{% macro add_days(date, days) -%}
    {{ return(adapter.dispatch('add_days', 'strataflow')(date, days)) }}
{%- endmacro %}

{% macro default__add_days(date, days) -%}
    cast({{ date }} + ({{ days }}) * interval '1 day' as date)
{%- endmacro %}

{% macro snowflake__add_days(date, days) -%}
    cast(dateadd(day, {{ days }}, {{ date }}) as date)
{%- endmacro %}

{#- Whole days from start_date to end_date (positive when end_date is later). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'strataflow')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    datediff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro postgres__days_between(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}

{% macro snowflake__days_between(start_date, end_date) -%}
    datediff(day, {{ start_date }}, {{ end_date }})
{%- endmacro %}

{#- Calendar months from the month of start_date to the month of end_date (2025-01-31 -> 2025-02-01 is 1). -#}
{% macro months_between(start_date, end_date) -%}
    cast((extract(year from {{ end_date }}) - extract(year from {{ start_date }})) * 12
        + extract(month from {{ end_date }}) - extract(month from {{ start_date }}) as integer)
{%- endmacro %}

{#- The UTC hour of a timestamptz as a timestamp without time zone (the hour's start, UTC). -#}
{% macro utc_hour(timestamp) -%}
    {{ return(adapter.dispatch('utc_hour', 'strataflow')(timestamp)) }}
{%- endmacro %}

{% macro default__utc_hour(timestamp) -%}
    cast(date_trunc('hour', ({{ timestamp }} at time zone 'UTC')) as timestamp)
{%- endmacro %}

{% macro snowflake__utc_hour(timestamp) -%}
    cast(date_trunc('hour', convert_timezone('UTC', {{ timestamp }})) as timestamp_ntz)
{%- endmacro %}

{#- A timestamptz as the timestamp without time zone of its UTC wall clock (for MetricFlow's time grains,
    which truncate in the session's time zone otherwise). -#}
{% macro utc_timestamp(timestamp) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'strataflow')(timestamp)) }}
{%- endmacro %}

{% macro default__utc_timestamp(timestamp) -%}
    cast(({{ timestamp }} at time zone 'UTC') as timestamp)
{%- endmacro %}

{% macro snowflake__utc_timestamp(timestamp) -%}
    cast(convert_timezone('UTC', {{ timestamp }}) as timestamp_ntz)
{%- endmacro %}

{#- A number of hours after a timestamp without time zone. -#}
{% macro add_hours(timestamp, hours) -%}
    {{ return(adapter.dispatch('add_hours', 'strataflow')(timestamp, hours)) }}
{%- endmacro %}

{% macro default__add_hours(timestamp, hours) -%}
    cast({{ timestamp }} + ({{ hours }}) * interval '1 hour' as timestamp)
{%- endmacro %}

{% macro snowflake__add_hours(timestamp, hours) -%}
    cast(dateadd(hour, {{ hours }}, {{ timestamp }}) as timestamp_ntz)
{%- endmacro %}

{#- 0 .. 10^digits - 1 as `n`, from cross joined digits (the same SQL on every adapter). -#}
{% macro numbers(digits) -%}
    select
        {%- for d in range(digits) %}
        d{{ d }}.n * {{ 10 ** d }}{% if not loop.last %} +{% endif %}
        {%- endfor %} as n
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d0 (n)
    {%- for d in range(1, digits) %}
    cross join (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d{{ d }} (n)
    {%- endfor %}
{%- endmacro %}
