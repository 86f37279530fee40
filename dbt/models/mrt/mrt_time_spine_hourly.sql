-- MetricFlow's hourly time spine: one row per UTC hour of the daily spine's days, so metrics answer at the
-- hour grain (flash sales).
select {{ strataflow.add_hours('cast(days.date_day as timestamp)', 'hours.n') }} as date_hour
from {{ ref('mrt_time_spine_daily') }} as days
inner join ({{ strataflow.numbers(2) }}) as hours on hours.n < 24
