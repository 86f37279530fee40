"""Freshness: how far the table's newest committed SRC partition lags behind now.

The lag is measured from the end of the newest committed partition's window: a daily table whose
newest partition is D is fresh until D+1 + max_lag (e.g. 26h: the day's partition may land by 02:00
the next day). Partitions are found from the lake's folder names, their commit from the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from strataflow.config.models import TableConfig
from strataflow.config.partitions import is_partition_key, partition_window
from strataflow.lake import LakeStorage, partition_prefix, read_manifest

_PREFIX = "ingestion_date="


@dataclass(frozen=True)
class Freshness:
    newest_partition: str | None
    lag: timedelta | None
    max_lag: timedelta

    @property
    def passed(self) -> bool:
        return self.lag is not None and self.lag <= self.max_lag

    def summary(self) -> str:
        if self.newest_partition is None:
            return "no committed partition yet"
        hours = self.lag.total_seconds() / 3600 if self.lag is not None else 0
        verdict = "within" if self.passed else "beyond"
        return (
            f"newest committed partition {self.newest_partition} lags {hours:.1f} h, {verdict} the "
            f"max_lag of {self.max_lag.total_seconds() / 3600:.1f} h"
        )


def newest_committed(storage: LakeStorage, source: str, table: TableConfig) -> str | None:
    selector_root = f"src/{source}/{table.name}"
    import pyarrow.fs as pafs

    infos = storage.fs.get_file_info(pafs.FileSelector(storage.uri(selector_root), allow_not_found=True))
    keys = sorted(
        (
            name[len(_PREFIX) :]
            for info in infos
            if info.type == pafs.FileType.Directory
            and (name := info.path.rsplit("/", 1)[-1]).startswith(_PREFIX)
            and is_partition_key(name[len(_PREFIX) :], table.partitioning.grain)
        ),
        reverse=True,
    )
    for key in keys:
        if read_manifest(storage, partition_prefix("src", source, table.name, key)) is not None:
            return key
    return None


def freshness(storage: LakeStorage, source: str, table: TableConfig, now: datetime | None = None) -> Freshness:
    assert table.freshness is not None
    now = now or datetime.now(UTC)
    newest = newest_committed(storage, source, table)
    if newest is None:
        return Freshness(None, None, table.freshness.max_lag_delta)
    end = partition_window(newest, table.partitioning.grain).end
    return Freshness(newest, now - end, table.freshness.max_lag_delta)
