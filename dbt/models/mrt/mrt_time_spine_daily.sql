-- MetricFlow's daily time spine: one row per day from 2024-01-01 for 10,000 days (cumulative metrics and
-- offsets join to it).
select {{ strataflow.add_days("cast('2024-01-01' as date)", 'numbers.n') }} as date_day
from ({{ strataflow.numbers(4) }}) as numbers
