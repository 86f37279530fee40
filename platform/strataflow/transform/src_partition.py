"""Build one SRC partition from the committed RAW partition (the SRC asset's code path)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from strataflow.config.models import TableConfig
from strataflow.extract.extractor import KEYS_SUFFIX
from strataflow.extract.windows import partition_window, previous_partition
from strataflow.lake import (
    CommitResult,
    LakeStorage,
    Spool,
    commit_partition,
    partition_prefix,
    read_committed,
)
from strataflow.transform.standardize import BatchContext, NullKeyError, standardize


class RawPartitionMissingError(RuntimeError):
    pass


@dataclass(frozen=True)
class SrcResult:
    commit: CommitResult
    rows_in: int
    data: pa.Table
    raw_batch_id: str
    duration_s: float

    @property
    def rows_out(self) -> int:
        return self.data.num_rows


def build_src_partition(
    storage: LakeStorage,
    source: str,
    table: TableConfig,
    partition: str,
    *,
    pii_salt: str | None,
) -> SrcResult:
    started = time.monotonic()
    committed = read_committed(storage, partition_prefix("raw", source, table.name, partition))
    if committed is None:
        raise RawPartitionMissingError(
            f"RAW partition {partition} of {source}.{table.name} has no committed manifest; "
            f"materialize raw/{source}/{table.name} for {partition} first"
        )
    manifest, raw = committed
    window = None if table.load_type == "full" else partition_window(partition, table.partitioning.grain)
    ctx = BatchContext(
        partition=partition,
        batch_id=manifest.batch_id,
        loaded_at=datetime.fromisoformat(manifest.committed_at),
        source_timezone=str(manifest.extra.get("source_timezone", "UTC")),
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        pii_salt=pii_salt,
    )
    deleted = _vanished_keys(storage, source, table, partition) if table.detect_hard_deletes else None
    try:
        data = standardize(raw, table, ctx, deleted)
    except NullKeyError as error:
        raise NullKeyError(f"{source}.{table.name}", error.columns, error.count, partition) from None

    watermark = table.output_name(table.watermark) if table.watermark else None
    bounds = pc.min_max(data.column(watermark)).as_py() if watermark and data.num_rows else {}
    with Spool(data.schema, root=storage.spool_dir) as spool:
        for batch in data.to_batches(max_chunksize=65_536):
            spool.write(batch)
        commit = commit_partition(
            storage,
            layer="src",
            source=source,
            table=table.name,
            partition=partition,
            files=spool.finish(),
            watermark_min=_iso(bounds.get("min")),
            watermark_max=_iso(bounds.get("max")),
            extra={"raw_batch_id": manifest.batch_id},
        )
    return SrcResult(commit, manifest.rows, data, manifest.batch_id, time.monotonic() - started)


def _vanished_keys(storage: LakeStorage, source: str, table: TableConfig, partition: str) -> pa.Table | None:
    """Hard deletes by key comparison: keys in the previous partition's snapshot but not in this one's."""
    keys_table = f"{table.name}/{KEYS_SUFFIX}"
    current = read_committed(storage, partition_prefix("raw", source, keys_table, partition))
    previous = read_committed(
        storage,
        partition_prefix("raw", source, keys_table, previous_partition(partition, table.partitioning.grain)),
    )
    if current is None or previous is None:
        return None
    before, now = pl.from_arrow(previous[1]), pl.from_arrow(current[1])
    assert isinstance(before, pl.DataFrame) and isinstance(now, pl.DataFrame)
    return before.join(now, on=table.primary_key, how="anti").to_arrow()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
