"""Partition keys and their windows: the one place that knows the key format of each grain.

Partition D of a table holds the rows whose watermark is in [D, D+1) UTC (D+1 hour for hourly
tables). Dagster's partitions, the extract window, the previous partition of a hard-delete
comparison and the freshness lag all parse keys here, so a key means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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


def parse_key(partition_key: str, grain: str) -> datetime:
    """The UTC start of a partition; a key in another format is a ValueError naming the format."""
    try:
        return datetime.strptime(partition_key, KEY_FORMAT[grain]).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"partition key {partition_key!r} does not match the {grain} format {KEY_FORMAT[grain]}"
        ) from None


def format_key(start: datetime, grain: str) -> str:
    return start.strftime(KEY_FORMAT[grain])


def partition_window(partition_key: str, grain: str) -> Window:
    start = parse_key(partition_key, grain)
    return Window(start, start + GRAIN_STEP[grain])


def previous_partition(partition_key: str, grain: str) -> str:
    return format_key(parse_key(partition_key, grain) - GRAIN_STEP[grain], grain)


def first_key(start: date | datetime, grain: str) -> str:
    """The key of the first partition of a table whose partitioning starts at `start`."""
    if not isinstance(start, datetime):
        start = datetime.combine(start, datetime.min.time())
    return format_key(start, grain)


def is_partition_key(text: str, grain: str) -> bool:
    try:
        parse_key(text, grain)
    except ValueError:
        return False
    return True
