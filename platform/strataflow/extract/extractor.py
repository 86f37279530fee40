"""Extract one partition of one table into the lake's RAW layer (the RAW asset's code path)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from strataflow.config.loader import TableRef
from strataflow.config.models import TableConfig
from strataflow.config.source_check import require_columns
from strataflow.extract.reader import SourceReader
from strataflow.extract.retry import with_retries
from strataflow.extract.types import SourceColumn, arrow_schema
from strataflow.extract.windows import Window, partition_window
from strataflow.lake import CommitResult, LakeStorage, Spool, commit_partition

KEYS_SUFFIX = "_keys"  # raw/<source>/<table>/_keys: primary-key snapshots for hard-delete detection


@dataclass(frozen=True)
class ExtractResult:
    commit: CommitResult
    window: Window | None
    keys_commit: CommitResult | None
    duration_s: float

    @property
    def rows(self) -> int:
        return self.commit.manifest.rows


class WatermarkRange:
    def __init__(self, column: str | None, timezone: str) -> None:
        self.column = column
        self.zone = ZoneInfo(timezone)
        self.low: datetime | None = None
        self.high: datetime | None = None

    def update(self, batch: pa.RecordBatch) -> None:
        if self.column is None or batch.num_rows == 0:
            return
        bounds = pc.min_max(batch.column(self.column)).as_py()
        low, high = bounds["min"], bounds["max"]
        if low is not None:
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)

    def utc_iso(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        aware = value if value.tzinfo else value.replace(tzinfo=self.zone)
        return aware.astimezone(UTC).isoformat()


def extract_partition(
    reader: SourceReader,
    storage: LakeStorage,
    ref: TableRef,
    partition: str,
    *,
    timezone: str = "UTC",
    attempts: int = 4,
    base_delay: float = 1.0,
) -> ExtractResult:
    """Full tables: a snapshot; others: rows whose watermark is in the partition's window.

    Rows are ordered by primary key so the same source state always gives the same files.
    """
    started = time.monotonic()
    source, table = ref.source, ref.config
    what = f"extract {source}.{table.name} partition {partition}"
    columns = with_retries(lambda: reader.columns(table.name), what=what, attempts=attempts, base_delay=base_delay)
    require_columns(ref, [c.name for c in columns])
    columns = _apply_column_options(table, columns)
    window = None if table.load_type == "full" else partition_window(partition, table.partitioning.grain)
    source_window = window.in_timezone(timezone) if window else None
    order_by = table.primary_key or [columns[0].name]

    keys_commit = None
    if table.detect_hard_deletes:
        key_columns = [c for c in columns if c.name in table.primary_key]
        keys_commit = with_retries(
            lambda: _stream_and_commit(
                reader,
                storage,
                source,
                f"{table.name}/{KEYS_SUFFIX}",
                partition,
                key_columns,
                order_by,
                None,
                None,
                timezone,
            ),
            what=f"{what} (key snapshot)",
            attempts=attempts,
            base_delay=base_delay,
        )
    commit = with_retries(
        lambda: _stream_and_commit(
            reader,
            storage,
            source,
            table.name,
            partition,
            columns,
            order_by,
            table.watermark,
            source_window,
            timezone,
        ),
        what=what,
        attempts=attempts,
        base_delay=base_delay,
    )
    return ExtractResult(commit, window, keys_commit, time.monotonic() - started)


def _apply_column_options(table: TableConfig, columns: list[SourceColumn]) -> list[SourceColumn]:
    """Leave excluded columns out; mark the columns whose zero dates are read as NULL."""
    excluded, zero_null = table.excluded_columns(), table.zero_dates_as_null()
    return [replace(c, zero_dates_as_null=c.name in zero_null) for c in columns if c.name not in excluded]


def _stream_and_commit(
    reader: SourceReader,
    storage: LakeStorage,
    source: str,
    table: str,
    partition: str,
    columns: list[SourceColumn],
    order_by: list[str],
    watermark: str | None,
    window: tuple[datetime, datetime] | None,
    timezone: str,
) -> CommitResult:
    marks = WatermarkRange(watermark, timezone)
    with Spool(arrow_schema(columns), root=storage.spool_dir) as spool:
        for batch in reader.stream(table.split("/")[0], columns, order_by, watermark, window):
            marks.update(batch)
            spool.write(batch)
        files = spool.finish()
        return commit_partition(
            storage,
            layer="raw",
            source=source,
            table=table,
            partition=partition,
            files=files,
            watermark_min=marks.utc_iso(marks.low),
            watermark_max=marks.utc_iso(marks.high),
            extra={"source_timezone": timezone},
        )
