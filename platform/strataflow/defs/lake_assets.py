"""RAW and SRC asset factories: one pair per configured table."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from strataflow import connections
from strataflow.config import TableRef
from strataflow.defs.metadata import commit_metadata
from strataflow.defs.partitions import partitions_for
from strataflow.defs.resources import StrataflowResource
from strataflow.extract import extract_partition
from strataflow.lake import partition_prefix
from strataflow.transform import build_src_partition
from strataflow.warehouse.src_loader import load_src_partition

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
        result = extract_partition(
            strataflow.reader(ref.source),
            storage,
            ref,
            context.partition_key,
            timezone=connections.source_timezone(project, ref.source),
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
        if result.window:
            metadata["window_start"] = result.window.start.isoformat()
            metadata["window_end"] = result.window.end.isoformat()
        return MaterializeResult(metadata=metadata)

    return _raw


def build_src_asset(ref: TableRef) -> AssetsDefinition:
    cfg = ref.config

    @asset(
        key=src_key(ref),
        deps=[raw_key(ref)],
        partitions_def=partitions_for(cfg.partitioning),
        group_name=f"src_{ref.source}",
        kinds={"polars", "parquet"},
        description=_with_registry_description(
            ref,
            f"{ref.source}.{cfg.name} standardized: snake_case, typed, trimmed, UTC, deduplicated by key, "
            f"PII masked, with _batch_id/_partition/_loaded_at/_op; in the lake and in src.{ref.warehouse_table}.",
        ),
        metadata=_describe(ref),
        backfill_policy=ONE_PARTITION_PER_RUN,
    )
    def _src(context: AssetExecutionContext, strataflow: StrataflowResource) -> MaterializeResult:
        project = strataflow.project
        storage = strataflow.storage()
        result = build_src_partition(
            storage, ref.source, cfg, context.partition_key, pii_salt=connections.pii_salt(project)
        )
        manifest = result.commit.manifest
        prefix = partition_prefix("src", ref.source, cfg.name, context.partition_key)
        metadata = commit_metadata(
            manifest,
            changed=result.commit.changed,
            duration_s=result.duration_s,
            lake_uri=storage.uri(prefix),
        )
        with connections.open_warehouse(project) as warehouse:
            loaded = load_src_partition(warehouse, ref, manifest, result.data)
        metadata.update(
            rows_in=result.rows_in,
            raw_batch_id=result.raw_batch_id,
            warehouse_table=f"src.{ref.warehouse_table}",
            warehouse_rows_loaded=loaded.rows,
            warehouse_load_s=MetadataValue.float(round((loaded.finished_at - loaded.started_at).total_seconds(), 3)),
        )
        return MaterializeResult(metadata=metadata)

    return _src
