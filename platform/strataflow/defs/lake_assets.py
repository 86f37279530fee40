"""RAW and SRC asset factories: one pair per configured table."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    Failure,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from strataflow import connections
from strataflow.cli_errors import explain
from strataflow.config import TableRef
from strataflow.defs.catalog import table_metadata
from strataflow.defs.metadata import commit_metadata
from strataflow.defs.partitions import partitions_for
from strataflow.defs.quality import (
    quality_check_result,
    quality_check_spec,
    reconciliation_check_result,
    reconciliation_check_spec,
)
from strataflow.defs.resources import StrataflowResource
from strataflow.extract.mysql import ZeroDateError
from strataflow.extract.retry import is_permanent
from strataflow.extract.types import UnsupportedTypeError
from strataflow.lake import partition_prefix
from strataflow.lake.schema import committed_schema
from strataflow.pipeline import (
    extract_partition,
    reconcile_partition,
    reconciliation_row,
    standardize_validate_load,
)
from strataflow.quality.contracts import SchemaContractError
from strataflow.warehouse.check_log import record_checks

# A partition's window is its own: each run (and each backfill run) handles exactly one partition.
ONE_PARTITION_PER_RUN = BackfillPolicy.multi_run(1)


def raw_key(ref: TableRef) -> AssetKey:
    return AssetKey(["raw", ref.source, ref.name])


def src_key(ref: TableRef) -> AssetKey:
    return AssetKey(["src", ref.source, ref.name])


def _describe(ref: TableRef) -> dict[str, str]:
    cfg = ref.config
    return {
        "load_type": cfg.load_type,
        "primary_key": ", ".join(cfg.primary_key) or "(none)",
        "watermark": cfg.watermark or "(none)",
        "config_file": str(ref.file),
        **{f"column_description/{cfg.output_name(c)}": d.description for c, d in cfg.columns.items() if d.description},
    }


def _with_registry_description(ref: TableRef, what: str) -> str:
    """The registry's table description (shared with the data dictionary and dbt sources) leads."""
    return f"{ref.config.description}\n\n{what}" if ref.config.description else what


# Errors of the data or the registry: the next attempt would read the same thing.
_PERMANENT_TYPES = (ZeroDateError, UnsupportedTypeError, SchemaContractError)


@contextmanager
def _no_retry_if_permanent(what: str) -> Iterator[None]:
    """The RAW retry policy is for a source that hiccups; a wrong password or an unknown table fails once,
    with the clear message (what, fix) instead of STEP_UP_FOR_RETRY and "Exceeded max_retries"."""
    try:
        yield
    except Exception as error:
        if not (is_permanent(error) or isinstance(error, _PERMANENT_TYPES)):
            raise
        explained = explain(error, "")
        raise Failure(description=f"{what}: {explained.what}\nfix: {explained.fix}", allow_retries=False) from error


def build_raw_asset(ref: TableRef) -> AssetsDefinition:
    cfg = ref.config

    @asset(
        key=raw_key(ref),
        partitions_def=partitions_for(cfg.partitioning),
        group_name=f"raw_{ref.source}",
        kinds={"mysql", "parquet"},
        description=_with_registry_description(
            ref, f"Rows of {ref.source}.{cfg.name} exactly as extracted ({cfg.load_type})."
        ),
        metadata=_describe(ref),
        retry_policy=RetryPolicy(max_retries=1, delay=5, backoff=Backoff.EXPONENTIAL),
        backfill_policy=ONE_PARTITION_PER_RUN,
    )
    def _raw(context: AssetExecutionContext, strataflow: StrataflowResource) -> MaterializeResult:
        project = strataflow.project
        storage = strataflow.storage()
        with _no_retry_if_permanent(f"{raw_key(ref).to_user_string()} {context.partition_key}"):
            result = extract_partition(
                strataflow.reader(ref.source),
                storage,
                ref,
                context.partition_key,
                timezone=connections.source_timezone(project, ref.source),
                audit=strataflow.warehouse,
                run_id=context.run.run_id,
            )
        manifest = result.commit.manifest
        prefix = partition_prefix("raw", ref.source, cfg.name, context.partition_key)
        context.log.info(
            "%s %s: %d rows, batch %s (%s)",
            raw_key(ref).to_user_string(),
            context.partition_key,
            manifest.rows,
            manifest.batch_id,
            "committed" if result.commit.changed else "unchanged",
        )
        metadata = commit_metadata(
            manifest,
            changed=result.commit.changed,
            duration_s=result.duration_s,
            lake_uri=storage.uri(prefix),
        )
        metadata["rows_in"] = manifest.rows
        metadata.update(table_metadata(ref, "raw", committed_schema(storage, prefix, manifest), manifest.rows))
        if result.window:
            metadata["window_start"] = result.window.start.isoformat()
            metadata["window_end"] = result.window.end.isoformat()
        metadata["schema_contract"] = cfg.schema_contract
        if result.schema_changes:
            changes = [c.to_dict() for c in result.schema_changes]
            metadata["schema_changes"] = MetadataValue.json(changes)
            context.log.warning("%s: source schema evolved (audited): %s", raw_key(ref).to_user_string(), changes)
        return MaterializeResult(metadata=metadata)

    return _raw


def build_src_asset(
    ref: TableRef, suite_origin: str = "default suite (no file)", pool: str | None = None
) -> AssetsDefinition:
    """pool: the warehouse's concurrency pool (strataflow.defs.automation.warehouse_pool)."""
    cfg = ref.config
    key = src_key(ref)

    @asset(
        key=key,
        deps=[raw_key(ref)],
        partitions_def=partitions_for(cfg.partitioning),
        group_name=f"src_{ref.source}",
        kinds={"polars", "parquet"},
        description=_with_registry_description(
            ref,
            f"{ref.source}.{cfg.name} standardized: snake_case, typed, trimmed, UTC, deduplicated by key, "
            f"PII masked, with _batch_id/_partition/_loaded_at/_op; validated by its expectation suite, then "
            f"in the lake and in src.{ref.warehouse_table}.",
        ),
        metadata=_describe(ref),
        backfill_policy=ONE_PARTITION_PER_RUN,
        pool=pool,
        check_specs=[quality_check_spec(key, suite_origin), reconciliation_check_spec(key)],
        freshness_policy=FreshnessPolicy.time_window(fail_window=cfg.freshness.max_lag_delta)
        if cfg.freshness
        else None,
        output_required=False,  # a rejected partition is not materialized: downstream steps are skipped
    )
    def _src(context: AssetExecutionContext, strataflow: StrataflowResource) -> Iterator[Any]:
        project = strataflow.project
        storage = strataflow.storage()
        with strataflow.warehouse() as warehouse:
            outcome = standardize_validate_load(
                storage,
                warehouse,
                ref,
                project.suite(ref),
                context.partition_key,
                pii_salt=connections.pii_salt(project),
                docs_dir=Path(connections.data_docs_dir(project)),
                run_id=context.run.run_id,
            )
            reconciliation = None
            if outcome.passed:
                reconciliation = reconcile_partition(
                    strataflow.reader(ref.source),
                    storage,
                    warehouse,
                    ref,
                    context.partition_key,
                    timezone=connections.source_timezone(project, ref.source),
                )
                record_checks(
                    warehouse, [reconciliation_row(ref, context.partition_key, reconciliation, context.run.run_id)]
                )
        report = outcome.report
        yield quality_check_result(key, report)
        if not outcome.passed:
            assert outcome.rejected is not None
            # The failed check is recorded above; the step fails naming the rejection (the reconciliation
            # check is not evaluated: nothing was loaded to reconcile).
            raise Failure(
                description=(
                    f"{key.to_user_string()} {context.partition_key} rejected by its expectation suite: "
                    f"src.{ref.warehouse_table} left unchanged, batch kept at "
                    f"{storage.uri(partition_prefix('rejected', ref.source, cfg.name, context.partition_key))}; "
                    f"{report.summary()}\nfix: correct the source rows (see the quality check) and re-run the "
                    "partition"
                ),
                allow_retries=False,
            )
        assert outcome.commit is not None and outcome.loaded is not None
        manifest = outcome.commit.manifest
        prefix = partition_prefix("src", ref.source, cfg.name, context.partition_key)
        metadata = commit_metadata(
            manifest,
            changed=outcome.commit.changed,
            duration_s=outcome.duration_s,
            lake_uri=storage.uri(prefix),
        )
        metadata.update(table_metadata(ref, "src", outcome.standardized.data.schema, manifest.rows))
        loaded = outcome.loaded
        metadata.update(
            rows_in=outcome.standardized.rows_in,
            raw_batch_id=outcome.standardized.raw_manifest.batch_id,
            duplicates_dropped=outcome.standardized.duplicates_dropped,
            hard_deletes=outcome.standardized.hard_deletes,
            warehouse_table=f"src.{ref.warehouse_table}",
            warehouse_rows_loaded=loaded.rows,
            warehouse_load_s=MetadataValue.float(round((loaded.finished_at - loaded.started_at).total_seconds(), 3)),
            validation_s=MetadataValue.float(round(report.duration_s, 3)),
        )
        assert reconciliation is not None
        yield MaterializeResult(metadata=metadata, check_results=[reconciliation_check_result(key, reconciliation)])

    return _src
