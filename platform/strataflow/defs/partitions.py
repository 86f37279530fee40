"""Dagster partitions from a table's partitioning config (UTC, matching the extract windows)."""

from __future__ import annotations

from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition, PartitionsDefinition

from strataflow.config.models import PartitioningConfig
from strataflow.config.partitions import KEY_FORMAT, first_key


def partitions_for(cfg: PartitioningConfig) -> PartitionsDefinition:
    start = first_key(cfg.start, cfg.grain)
    if cfg.grain == "hourly":
        return HourlyPartitionsDefinition(start_date=start, timezone="UTC", fmt=KEY_FORMAT["hourly"])
    return DailyPartitionsDefinition(start_date=start, timezone="UTC", fmt=KEY_FORMAT["daily"])
