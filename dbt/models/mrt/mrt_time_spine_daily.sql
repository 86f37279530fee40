-- MetricFlow's daily time spine: one row per day over the data's order days, widened on both sides by the
-- longest metric window (macros/time_spine.sql); cumulative metrics and offsets join to it.
select {{ strataflow.add_days('spine.first_day', 'numbers.n') }} as date_day
from ({{ strataflow.time_spine_range() }}) as spine
inner join ({{ strataflow.numbers(5) }}) as numbers on numbers.n < spine.day_count
