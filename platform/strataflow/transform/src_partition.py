"""Standardize one committed RAW partition into SRC rows (in memory; the pipeline commits them)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa

from strataflow.config.models import TableConfig
from strataflow.config.partitions import partition_window, previous_partition
from strataflow.lake import KEYS_SUFFIX, LakeStorage, Manifest, partition_prefix, read_committed
from strataflow.transform.standardize import BatchContext, NullKeyError, standardize


class RawPartitionMissingError(RuntimeError):
    pass


@dataclass(frozen=True)
class Standardized:
    """A standardized partition and the figures reconciliation accounts with."""

    data: pa.Table
    raw_manifest: Manifest
    rows_in: int  # rows read from the committed RAW files
    duplicates_dropped: int  # RAW rows that lost to a later version of their key
    hard_deletes: int  # 'D' rows added for keys that vanished from the source
    duration_s: float

    @property
    def rows_out(self) -> int:
        return self.data.num_rows


def standardize_partition(
    storage: LakeStorage,
    source: str,
    table: TableConfig,
    partition: str,
    *,
    pii_salt: str | None,
) -> Standardized:
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
    distinct = _distinct_keys(raw, table)
    return Standardized(
        data=data,
        raw_manifest=manifest,
        rows_in=raw.num_rows,
        duplicates_dropped=raw.num_rows - distinct,
        hard_deletes=data.num_rows - distinct,
        duration_s=time.monotonic() - started,
    )


def src_schema(raw_schema: pa.Schema, table: TableConfig) -> pa.Schema:
    """The SRC schema standardization gives a RAW schema (what schema expectations compare with)."""
    ctx = BatchContext("", "", datetime.now(UTC), "UTC", None, None, "schema-only")
    return standardize(raw_schema.empty_table(), table, ctx).schema


def _distinct_keys(raw: pa.Table, table: TableConfig) -> int:
    if not table.primary_key or raw.num_rows == 0:
        return raw.num_rows
    frame = pl.from_arrow(raw.select(table.primary_key))
    assert isinstance(frame, pl.DataFrame)
    return frame.n_unique()


def _vanished_keys(storage: LakeStorage, source: str, table: TableConfig, partition: str) -> pa.Table | None:
    """Hard deletes by key comparison: keys in the previous partition's snapshot but not in this one's.

    A NULL key names no row: a join never matches it, so it would look deleted every day. Such keys are
    left out (the partition's own rows with a NULL key are refused by standardize)."""
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
    before = before.drop_nulls(subset=table.primary_key)
    return before.join(now, on=table.primary_key, how="anti").to_arrow()
