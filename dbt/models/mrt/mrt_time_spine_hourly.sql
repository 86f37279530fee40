-- MetricFlow's hourly time spine: one row per hour from 2024-01-01 00:00 for 100,000 hours (to 2035), so
-- metrics answer at the hour grain (flash sales).
select {{ strataflow.add_hours("cast('2024-01-01 00:00:00' as timestamp)", 'numbers.n') }} as date_hour
from ({{ strataflow.numbers(5) }}) as numbers
