"""The engine's steps composed, in plain Python (no Dagster): the assets, the CLI and the benchmarks
call these two functions, and each module below keeps one job.

    extract_partition:           plan (extract) -> schema contract (quality) -> spool (extract)
                                 -> commit RAW (lake) -> schema changes let through -> audit (warehouse)
    standardize_validate_load:   standardize (transform) -> validate (quality, Great Expectations)
                                 -> commit SRC (lake) -> load (warehouse)          when the suite passes
                                 -> keep the batch under rejected/ (lake)          when an error fails
                                 and every expectation's result -> audit.check_results (warehouse)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from strataflow.config.expectations import Suite
from strataflow.config.loader import TableRef
from strataflow.config.partitions import Window, previous_partition
from strataflow.extract import SourceReader, plan_extract, spool_rows
from strataflow.extract.fingerprint import MANIFEST_KEY as FINGERPRINT_KEY
from strataflow.extract.fingerprint import Fingerprint
from strataflow.extract.retry import with_retries
from strataflow.extract.types import SourceColumn
from strataflow.lake import (
    KEYS_SUFFIX,
    CommitResult,
    LakeStorage,
    Spool,
    commit_partition,
    partition_prefix,
    read_manifest,
)
from strataflow.quality.contracts import SchemaChange, check_contract, read_baseline, write_baseline
from strataflow.quality.reconcile import Reconciliation, reconcile
from strataflow.quality.results import ValidationReport
from strataflow.transform import Standardized, src_schema, standardize_partition
from strataflow.warehouse.base import LoadResult, Warehouse
from strataflow.warehouse.check_log import CheckRow, record_checks
from strataflow.warehouse.src_loader import load_src_partition

REJECTED_LAYER = "rejected"  # rejected/<source>/<table>/ingestion_date=<p>: outside the committed state


# ------------------------------------------------------------------------------------------ extract


@dataclass(frozen=True)
class ExtractResult:
    commit: CommitResult
    window: Window | None
    keys_commit: CommitResult | None
    duration_s: float
    schema_changes: list[SchemaChange] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.commit.manifest.rows


def extract_partition(
    reader: SourceReader,
    storage: LakeStorage,
    ref: TableRef,
    partition: str,
    *,
    timezone: str = "UTC",
    attempts: int = 4,
    base_delay: float = 1.0,
    audit: Callable[[], AbstractContextManager[Warehouse]] | None = None,
    run_id: str = "",
) -> ExtractResult:
    """Read the partition from the source and commit it to RAW. A frozen table whose source columns
    changed fails here with SchemaContractError, before anything is written; an evolving table's changes
    go through and, with `audit` (opens the warehouse), get one `schema_contract` row each in
    audit.check_results. The warehouse is opened only then: RAW otherwise never takes its lock."""
    started = time.monotonic()
    table = ref.config
    what = f"extract {ref.source}.{table.name} partition {partition}"
    plan = plan_extract(reader, ref, partition, timezone=timezone, attempts=attempts, base_delay=base_delay)
    contract = check_contract(storage, ref, plan.columns)

    def spool_and_commit(name: str, columns: list[SourceColumn], watermark: str | None, window) -> CommitResult:
        spooled = spool_rows(
            reader,
            table.name,
            columns,
            plan.order_by,
            watermark=watermark,
            window=window,
            timezone=timezone,
            spool_dir=storage.spool_dir,
        )
        extra: dict[str, object] = {"source_timezone": timezone}
        if watermark and window is not None:
            # What the late-data sensor compares with the source later (strataflow.extract.fingerprint).
            fingerprint = Fingerprint(sum(f.rows for f in spooled.files), spooled.watermark_max)
            extra[FINGERPRINT_KEY] = fingerprint.to_dict()
        try:
            return commit_partition(
                storage,
                layer="raw",
                source=ref.source,
                table=name,
                partition=partition,
                files=spooled.files,
                watermark_min=spooled.watermark_min,
                watermark_max=spooled.watermark_max,
                extra=extra,
            )
        finally:
            spooled.close()

    keys_commit = None
    if table.detect_hard_deletes:
        key_columns = [c for c in plan.columns if c.name in table.primary_key]
        keys_commit = with_retries(
            lambda: spool_and_commit(f"{table.name}/{KEYS_SUFFIX}", key_columns, None, None),
            what=f"{what} (key snapshot)",
            attempts=attempts,
            base_delay=base_delay,
        )
    commit = with_retries(
        lambda: spool_and_commit(table.name, plan.columns, table.watermark, plan.source_window),
        what=what,
        attempts=attempts,
        base_delay=base_delay,
    )
    if contract.first or contract.changes:
        write_baseline(storage, ref, contract.baseline, contract.changes)
    if contract.changes and audit is not None:
        with audit() as warehouse:
            record_checks(warehouse, schema_change_rows(ref, partition, contract.changes, run_id))
    return ExtractResult(commit, plan.window, keys_commit, time.monotonic() - started, contract.changes)


def schema_change_rows(ref: TableRef, partition: str, changes: list[SchemaChange], run_id: str) -> list[CheckRow]:
    """One audit row per change an evolving table let through: a warning that passed, with the change."""
    return [
        CheckRow.of(
            asset=f"raw/{ref.source}/{ref.name}",
            partition=partition,
            check="schema_contract",
            expectation=f"{c.change}({c.column})",
            severity="warn",
            success=True,
            run_id=run_id,
            details=c.to_dict(),
        )
        for c in changes
    ]


# ------------------------------------------------------------------------------------------ SRC


def commit_src(
    storage: LakeStorage, ref: TableRef, partition: str, std: Standardized, layer: str = "src"
) -> CommitResult:
    """Spool the standardized rows and commit them (to SRC, or to rejected/ for a failed batch)."""
    data = std.data
    watermark = ref.config.output_name(ref.config.watermark) if ref.config.watermark else None
    bounds = pc.min_max(data.column(watermark)).as_py() if watermark and data.num_rows else {}
    with Spool(data.schema, root=storage.spool_dir) as spool:
        for batch in data.to_batches(max_chunksize=65_536):
            spool.write(batch)
        return commit_partition(
            storage,
            layer=layer,
            source=ref.source,
            table=ref.name,
            partition=partition,
            files=spool.finish(),
            watermark_min=_iso(bounds.get("min")),
            watermark_max=_iso(bounds.get("max")),
            extra={
                "raw_batch_id": std.raw_manifest.batch_id,
                "raw_rows": std.rows_in,
                "duplicates_dropped": std.duplicates_dropped,
                "hard_deletes": std.hard_deletes,
            },
        )


def build_src_partition(
    storage: LakeStorage, ref: TableRef, partition: str, *, pii_salt: str | None
) -> tuple[Standardized, CommitResult]:
    """Standardize and commit SRC without the gate (benchmarks and tools that only build the lake)."""
    std = standardize_partition(storage, ref.source, ref.config, partition, pii_salt=pii_salt)
    return std, commit_src(storage, ref, partition, std)


def expected_src_schema(storage: LakeStorage, ref: TableRef) -> pa.Schema | None:
    """SRC schema of the table's contract baseline (None before its first extract)."""
    baseline = read_baseline(storage, ref)
    return None if baseline is None else src_schema(baseline, ref.config)


def previous_src_rows(storage: LakeStorage, ref: TableRef, partition: str) -> int | None:
    previous = previous_partition(partition, ref.config.partitioning.grain)
    manifest = read_manifest(storage, partition_prefix("src", ref.source, ref.name, previous))
    return None if manifest is None else manifest.rows


@dataclass(frozen=True)
class SrcOutcome:
    standardized: Standardized
    report: ValidationReport
    commit: CommitResult | None  # the SRC commit; None when the batch was rejected
    rejected: CommitResult | None  # the rejected batch, kept for inspection
    loaded: LoadResult | None
    duration_s: float

    @property
    def passed(self) -> bool:
        return self.report.passed


def gate_rejects_null_keys(suite: Suite, key: list[str]) -> bool:
    """True if an `error` not_null expectation (without `mostly` below 1) covers every key column."""
    covered: set[str] = set()
    for item in suite.expectations:
        mostly = getattr(item.args, "mostly", None)
        if item.kind == "not_null" and item.severity == "error" and mostly in (None, 1, 1.0):
            covered.update(item.columns())
    return bool(key) and set(key) <= covered


def standardize_validate_load(
    storage: LakeStorage,
    warehouse: Warehouse,
    ref: TableRef,
    suite: Suite,
    partition: str,
    *,
    pii_salt: str | None,
    docs_dir: Path | None = None,
    run_id: str = "",
) -> SrcOutcome:
    """The gate: the warehouse table dbt reads changes only if no `error` expectation fails."""
    from strataflow.quality.runner import validate_batch  # imports Great Expectations

    started = time.monotonic()
    # NULL keys are never merged; the gate rejects such a batch (kept under rejected/ with the count) when
    # its suite blocks on them, else standardization refuses it outright.
    null_keys = "keep" if gate_rejects_null_keys(suite, ref.config.src_primary_key) else "reject"
    std = standardize_partition(storage, ref.source, ref.config, partition, pii_salt=pii_salt, null_keys=null_keys)
    asset = f"src/{ref.source}/{ref.name}"
    report = validate_batch(
        std.data,
        suite,
        asset=asset,
        partition=partition,
        primary_key=ref.config.src_primary_key,
        expected_schema=expected_src_schema(storage, ref),
        previous_rows=previous_src_rows(storage, ref, partition),
        docs_dir=docs_dir,
        docs_name=f"{partition}-{run_id[:8]}" if run_id else partition,
    )
    record_checks(warehouse, quality_rows(report, run_id))
    if not report.passed:
        rejected = commit_src(storage, ref, partition, std, layer=REJECTED_LAYER)
        return SrcOutcome(std, report, None, rejected, None, time.monotonic() - started)
    commit = commit_src(storage, ref, partition, std)
    loaded = load_src_partition(warehouse, ref, commit.manifest, std.data)
    return SrcOutcome(std, report, commit, None, loaded, time.monotonic() - started)


def quality_rows(report: ValidationReport, run_id: str) -> list[CheckRow]:
    return [
        CheckRow.of(
            asset=report.asset,
            partition=report.partition,
            check="quality",
            expectation=r.name,
            severity=r.severity,
            success=r.success,
            run_id=run_id,
            unexpected_count=r.unexpected_count,
            unexpected_percent=r.unexpected_percent,
            details={"sample": r.sample, "note": r.note, "observed": r.observed} if not r.success else None,
        )
        for r in report.results
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# ------------------------------------------------------------------------------------------ reconciliation


def warehouse_rows(warehouse: Warehouse, ref: TableRef, partition: str) -> int:
    """Rows of the partition in src.<source>__<table> (full snapshots: the whole table)."""
    from strataflow.config.partitions import parse_key
    from strataflow.warehouse.base import PARTITION_COLUMN, SRC_SCHEMA

    dialect = warehouse.dialect  # type: ignore[attr-defined]
    sql = f"SELECT COUNT(*) FROM {dialect.qualify(SRC_SCHEMA, ref.warehouse_table)}"
    if ref.config.load_type != "full":
        parse_key(partition, ref.config.partitioning.grain)  # a well-formed key: safe as a literal
        sql += f" WHERE {dialect.quote(PARTITION_COLUMN)} = '{partition}'"
    return int(warehouse.query(sql)[0][0])


def reconcile_partition(
    reader: SourceReader | None,
    storage: LakeStorage,
    warehouse: Warehouse | None,
    ref: TableRef,
    partition: str,
    *,
    timezone: str = "UTC",
    attempts: int = 4,
    base_delay: float = 1.0,
) -> Reconciliation:
    """Count the partition in the source (its window now), RAW, SRC and the warehouse and compare them.

    The source count is retried like the extract: a dropped connection here must not fail a loaded partition."""
    table = ref.config
    source_rows = None
    if reader is not None:
        from strataflow.config.partitions import partition_window

        window = None if table.load_type == "full" else partition_window(partition, table.partitioning.grain)
        watermark = table.watermark if window else None
        bounds = window.in_timezone(timezone) if window else None
        source_rows = with_retries(
            lambda: reader.count(table.name, watermark, bounds),
            what=f"counting {ref.source}.{table.name} {partition} in the source",
            attempts=attempts,
            base_delay=base_delay,
        )
    wh_rows = warehouse_rows(warehouse, ref, partition) if warehouse is not None else None
    return reconcile(storage, ref.source, ref.name, partition, source_rows=source_rows, warehouse_rows=wh_rows)


def reconciliation_row(ref: TableRef, partition: str, result: Reconciliation, run_id: str) -> CheckRow:
    return CheckRow.of(
        asset=f"src/{ref.source}/{ref.name}",
        partition=partition,
        check="reconciliation",
        expectation="source = RAW, SRC = RAW - duplicates + hard deletes, warehouse = SRC",
        severity="error",
        success=result.passed,
        run_id=run_id,
        details=result.figures(),
    )
