"""Read one partition of one table from its source into local Parquet spool files.

The extract only reads: which columns, which window, which rows in which order. Committing the
spooled files to the lake is the pipeline's job (strataflow.pipeline), so this module never
writes to the lake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from strataflow.config.loader import TableRef
from strataflow.config.models import TableConfig
from strataflow.config.partitions import Window, partition_window
from strataflow.config.source_check import require_columns
from strataflow.extract.reader import SourceReader
from strataflow.extract.retry import with_retries
from strataflow.extract.types import SourceColumn, arrow_schema
from strataflow.lake.partition import Spool, SpooledFile


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


@dataclass(frozen=True)
class ExtractPlan:
    """What to read for a partition: the source's columns now, the window and the row order."""

    columns: list[SourceColumn]
    window: Window | None  # UTC; None for full snapshots
    source_window: tuple[datetime, datetime] | None  # the window in the source's wall-clock time
    order_by: list[str]


def plan_extract(
    reader: SourceReader,
    ref: TableRef,
    partition: str,
    *,
    timezone: str = "UTC",
    attempts: int = 4,
    base_delay: float = 1.0,
) -> ExtractPlan:
    """Full tables: a snapshot; others: rows whose watermark is in the partition's window.

    Rows are ordered by primary key so the same source state always gives the same files."""
    table = ref.config
    what = f"extract {ref.source}.{table.name} partition {partition}"
    columns = with_retries(lambda: reader.columns(table.name), what=what, attempts=attempts, base_delay=base_delay)
    require_columns(ref, [c.name for c in columns])
    columns = _apply_column_options(table, columns)
    window = None if table.load_type == "full" else partition_window(partition, table.partitioning.grain)
    return ExtractPlan(
        columns=columns,
        window=window,
        source_window=window.in_timezone(timezone) if window else None,
        order_by=table.primary_key or [columns[0].name],
    )


def _apply_column_options(table: TableConfig, columns: list[SourceColumn]) -> list[SourceColumn]:
    """Leave excluded columns out; mark the columns whose zero dates are read as NULL."""
    excluded, zero_null = table.excluded_columns(), table.zero_dates_as_null()
    return [replace(c, zero_dates_as_null=c.name in zero_null) for c in columns if c.name not in excluded]


@dataclass
class SpooledExtract:
    """Spooled Parquet parts of one read; they live until close()."""

    spool: Spool
    files: list[SpooledFile]
    watermark_min: str | None
    watermark_max: str | None

    def close(self) -> None:
        self.spool.close()


def spool_rows(
    reader: SourceReader,
    table: str,
    columns: list[SourceColumn],
    order_by: list[str],
    *,
    watermark: str | None,
    window: tuple[datetime, datetime] | None,
    timezone: str,
    spool_dir: Path | None = None,
) -> SpooledExtract:
    """Stream the rows into zstd Parquet parts in a local folder (spool_dir: the project home's spool,
    see lake/spool.py), in bounded memory."""
    marks = WatermarkRange(watermark, timezone)
    spool = Spool(arrow_schema(columns), root=spool_dir)
    try:
        for batch in reader.stream(table, columns, order_by, watermark, window):
            marks.update(batch)
            spool.write(batch)
        files = spool.finish()
    except BaseException:
        spool.close()
        raise
    return SpooledExtract(spool, files, marks.utc_iso(marks.low), marks.utc_iso(marks.high))
