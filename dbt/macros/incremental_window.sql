{#- The src partitions an incremental run reads, as a SQL predicate on the partition column.

    Vars: strataflow_partition_start / strataflow_partition_end (ISO dates, inclusive; an hourly key
    'YYYY-MM-DD-HH:MM' counts as its day) and strataflow_lookback_days (default 0, dbt_project.yml) which
    moves the start earlier, for partitions loaded by a job that does not run dbt. When a var is not given,
    the env var of its upper-cased name (STRATAFLOW_PARTITION_START, ...) stands in for it: Dagster passes the
    window that way because dbt re-parses the whole project whenever --vars change, while an env var read
    only at run time (never while parsing) keeps partial parsing intact.
    Window = [start - lookback, end + 1 day) compared as text, which orders daily and hourly keys alike.
    A first build or --full-refresh, or a run without a window, reads everything (predicate `true`).
    The values are parsed into dates and re-rendered, so nothing from outside reaches SQL raw. -#}
{% macro incremental_window(partition_column='_partition') -%}
    {%- if not is_incremental() -%}
        true
    {%- else -%}
        {{ strataflow.partition_window(partition_column) }}
    {%- endif -%}
{%- endmacro %}

{#- The window predicate whatever the model's materialization (`true` without a window); for a model
    that is rebuilt every run but holds only what the window changed, such as ain_changed_keys. -#}
{% macro partition_window(partition_column='_partition') -%}
    {#- Not while parsing: an env var read then would make dbt re-parse the model whenever it changes. -#}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set start = strataflow._window_date('strataflow_partition_start') -%}
    {%- set end = strataflow._window_date('strataflow_partition_end') -%}
    {%- if start is none and end is none -%}
        true
    {%- else -%}
        {%- set lookback = strataflow._lookback_days() -%}
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

{#- A window bound as a date, or none when unset; a malformed value fails the run naming where it came from. -#}
{% macro _window_date(name) -%}
    {%- set text, origin = strataflow._var_or_env(name) -%}
    {%- if text == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}(-[0-9]{2}:[0-9]{2})?$', text) -%}
        {{ exceptions.raise_compiler_error(origin ~ "=" ~ text ~ " is not an ISO date (YYYY-MM-DD) or an hourly partition key (YYYY-MM-DD-HH:MM)") }}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat(text[:10])) }}
{%- endmacro %}

{#- strataflow_lookback_days (var or env), else 0: a whole number of days. -#}
{% macro _lookback_days() -%}
    {%- set text, origin = strataflow._var_or_env('strataflow_lookback_days') -%}
    {%- if text == '' -%}
        {{ return(0) }}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]+$', text) -%}
        {{ exceptions.raise_compiler_error(origin ~ "=" ~ text ~ " is not a whole number of days (0 or more)") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}

{#- A var, else the env var of its upper-cased name, read at run time only (see above): [trimmed text or
    '' when neither is set, where it came from]. -#}
{% macro _var_or_env(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is not none and value | string | trim != '' -%}
        {{ return([value | string | trim, "var " ~ name]) }}
    {%- endif -%}
    {{ return([env_var(name | upper, '') | trim, "env var " ~ (name | upper)]) }}
{%- endmacro %}
