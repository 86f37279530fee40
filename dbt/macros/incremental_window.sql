{#- The src partitions an incremental run reads, as a SQL predicate on the partition column.

    Vars: strataflow_partition_start / strataflow_partition_end (ISO dates, inclusive; an hourly key
    'YYYY-MM-DD-HH:MM' counts as its day) and strataflow_lookback_days (default 1) which moves the start
    earlier so a change that landed in a neighbouring partition is still seen.
    Window = [start - lookback, end + 1 day) compared as text, which orders daily and hourly keys alike.
    A first build or --full-refresh, or a run without the vars, reads everything (predicate `true`).
    The vars are parsed into dates and re-rendered, so nothing from the command line reaches SQL raw. -#}
{% macro incremental_window(partition_column='_partition') -%}
    {%- set start = strataflow._window_date('strataflow_partition_start') -%}
    {%- set end = strataflow._window_date('strataflow_partition_end') -%}
    {%- if not is_incremental() or (start is none and end is none) -%}
        true
    {%- else -%}
        {%- set lookback = var('strataflow_lookback_days', 1) | int -%}
        {%- set one_day = modules.datetime.timedelta(days=1) -%}
        {%- set bounds = [] -%}
        {%- if start is not none -%}
            {%- do bounds.append(partition_column ~ " >= '" ~ (start - one_day * lookback).isoformat() ~ "'") -%}
        {%- endif -%}
        {%- if end is not none -%}
            {%- do bounds.append(partition_column ~ " < '" ~ (end + one_day).isoformat() ~ "'") -%}
        {%- endif -%}
        ({{ bounds | join(' and ') }})
    {%- endif -%}
{%- endmacro %}

{#- A window var as a date, or none when unset; a malformed value fails the run with the var's name. -#}
{% macro _window_date(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or value | string | trim == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}(-[0-9]{2}:[0-9]{2})?$', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ "=" ~ text ~ " is not an ISO date (YYYY-MM-DD) or an hourly partition key (YYYY-MM-DD-HH:MM)") }}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat(text[:10])) }}
{%- endmacro %}
