"""Partition keys to watermark windows: partition D holds the rows whose watermark is in [D, D+1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

GRAIN_STEP = {"daily": timedelta(days=1), "hourly": timedelta(hours=1)}
KEY_FORMAT = {"daily": "%Y-%m-%d", "hourly": "%Y-%m-%d-%H:%M"}


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def in_timezone(self, tz: str) -> tuple[datetime, datetime]:
        """The same instants as naive wall-clock times of the source's timezone (how DATETIME is stored)."""
        zone = ZoneInfo(tz)
        return (
            self.start.astimezone(zone).replace(tzinfo=None),
            self.end.astimezone(zone).replace(tzinfo=None),
        )


def partition_window(partition_key: str, grain: str) -> Window:
    try:
        start = datetime.strptime(partition_key, KEY_FORMAT[grain]).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"partition key {partition_key!r} does not match the {grain} format {KEY_FORMAT[grain]}"
        ) from None
    return Window(start, start + GRAIN_STEP[grain])


def previous_partition(partition_key: str, grain: str) -> str:
    window = partition_window(partition_key, grain)
    return (window.start - GRAIN_STEP[grain]).strftime(KEY_FORMAT[grain])
