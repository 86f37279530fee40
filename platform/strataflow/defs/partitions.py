"""Dagster partitions from a table's partitioning config (UTC, matching the extract windows)."""

from __future__ import annotations

from datetime import datetime

from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition, PartitionsDefinition

from strataflow.config.models import PartitioningConfig


def partitions_for(cfg: PartitioningConfig) -> PartitionsDefinition:
    start = cfg.start if isinstance(cfg.start, datetime) else datetime.combine(cfg.start, datetime.min.time())
    if cfg.grain == "hourly":
        return HourlyPartitionsDefinition(start_date=start.strftime("%Y-%m-%d-%H:%M"), timezone="UTC")
    return DailyPartitionsDefinition(start_date=start.strftime("%Y-%m-%d"), timezone="UTC")
