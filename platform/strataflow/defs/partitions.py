"""Dagster partitions from a table's partitioning config (UTC, matching the extract windows).

`STRATAFLOW_PARTITIONS=<first>..<last>` (ISO dates, both inclusive; either side may be empty) narrows every
table's partitions to the days that hold data. The demo sets it, so the UI lists its dozen partitions
instead of every day from the registry's start to today (which reads as "0 % filled")."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition, PartitionsDefinition

from strataflow.config.models import PartitioningConfig
from strataflow.config.partitions import KEY_FORMAT, first_key

RANGE_ENV = "STRATAFLOW_PARTITIONS"


def partition_range() -> tuple[date | None, date | None]:
    """The STRATAFLOW_PARTITIONS override: (first day, last day), each None when not narrowed."""
    value = os.environ.get(RANGE_ENV, "").strip()
    if not value:
        return None, None
    first, sep, last = value.partition("..")
    try:
        if not sep:
            raise ValueError
        return (date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None)
    except ValueError:
        raise ValueError(
            f"{RANGE_ENV}={value!r}: Fix: give <first>..<last> as ISO dates, e.g. 2025-01-27..2025-02-07"
        ) from None


def partitions_for(cfg: PartitioningConfig) -> PartitionsDefinition:
    start = datetime.strptime(first_key(cfg.start, cfg.grain), KEY_FORMAT[cfg.grain])
    first, last = partition_range()
    if first is not None:
        start = max(start, datetime.combine(first, datetime.min.time()))
    end = datetime.combine(last + timedelta(days=1), datetime.min.time()) if last is not None else None
    fmt = KEY_FORMAT[cfg.grain]
    kind = HourlyPartitionsDefinition if cfg.grain == "hourly" else DailyPartitionsDefinition
    return kind(start_date=start.strftime(fmt), end_date=end.strftime(fmt) if end else None, timezone="UTC", fmt=fmt)
