"""Late-data sensors, one per source: re-materialize exactly the partitions whose source changed after they
were extracted (a back-dated insert or update, a deleted row), with their RAW, SRC and everything downstream
on the same partitioning, tagged with the reason.

Each tick compares, for every incremental/scd/cdc table, the last `late_data_lookback` materialized
partitions (configurable per table in the source registry) with one grouped query on the source
(strataflow.extract.late_data). The request's run_key and the cursor carry the source fingerprint that
triggered it, so a change is requested once: while its run is queued nothing is requested again, and once it
ran the recorded fingerprint equals the source's."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from strataflow import connections
from strataflow.config import MERGE_LOAD_TYPES, Project, TableRef
from strataflow.defs.lake_assets import raw_key, src_key
from strataflow.extract.late_data import LateChange, scan_table

REASON_TAG = "strataflow/late_data_reason"
TRIGGER_TAG = "strataflow/trigger"
REQUESTED_KEPT = 2000


def late_data_tables(project: Project, source: str) -> list[TableRef]:
    return [
        ref
        for ref in project.tables()
        if ref.source == source and ref.config.load_type in MERGE_LOAD_TYPES and ref.config.late_data_lookback > 0
    ]


def _fingerprint_id(changes: list[LateChange]) -> str:
    data = sorted((c.table, c.current.rows, c.current.watermark_max or "") for c in changes)
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def evaluate_late_data(context: SensorEvaluationContext, project: Project, source: str) -> SensorResult | SkipReason:
    tables = late_data_tables(project, source)
    requested: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    reader = connections.open_reader(project, source)
    storage = connections.open_storage(project)
    timezone = connections.source_timezone(project, source)
    graph = context.repository_def.asset_graph if context.repository_def else None

    by_partition: dict[tuple[str, str], list[tuple[TableRef, LateChange]]] = defaultdict(list)
    query_s = 0.0
    compared = 0
    for ref in tables:
        materialized = sorted(context.instance.get_materialized_partitions(raw_key(ref)))
        recent = materialized[-ref.config.late_data_lookback :]
        scan = scan_table(reader, storage, ref, recent, timezone)
        query_s += scan.source_query_s
        compared += scan.compared
        for change in scan.changes:
            marker = f"{ref.name}|{change.partition}"
            fp = json.dumps([change.current.rows, change.current.watermark_max])
            if requested.get(marker) == fp:  # already requested for this very source state
                continue
            requested[marker] = fp
            by_partition[(ref.config.partitioning.grain, change.partition)].append((ref, change))

    run_requests = []
    for (_grain, partition), items in sorted(by_partition.items()):
        keys: set[AssetKey] = set()
        for ref, _ in items:
            keys |= {raw_key(ref), src_key(ref)}
        keys |= _downstream_same_partitioning(graph, [src_key(ref) for ref, _ in items])
        changes = [c for _, c in items]
        reason = "; ".join(c.reason() for c in changes)
        run_requests.append(
            RunRequest(
                run_key=f"late-data:{source}:{partition}:{_fingerprint_id(changes)}",
                partition_key=partition,
                asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
                tags={TRIGGER_TAG: "late_data", REASON_TAG: reason[:2000]},
            )
        )
        context.log.info("late data in %s %s: %s", source, partition, reason)
    cursor = json.dumps(dict(list(requested.items())[-REQUESTED_KEPT:]), sort_keys=True)
    if not run_requests:
        return SensorResult(
            skip_reason=SkipReason(
                f"{compared} partitions of {len(tables)} tables match the source ({query_s:.3f} s of source queries)"
            ),
            cursor=cursor,
        )
    return SensorResult(run_requests=run_requests, cursor=cursor)


def _downstream_same_partitioning(graph: object, roots: list[AssetKey]) -> set[AssetKey]:
    """Everything downstream of the SRC assets that shares their partitioning (others are left to the
    automation sensor: a partition key of this run means nothing to them)."""
    if graph is None or not roots:
        return set()
    partitions_def = graph.get(roots[0]).partitions_def  # type: ignore[attr-defined]
    downstream = AssetSelection.assets(*roots).downstream().resolve(graph)  # type: ignore[arg-type]
    return {
        key
        for key in downstream
        if graph.get(key).partitions_def == partitions_def and graph.get(key).is_materializable  # type: ignore[attr-defined]
    }


def build_late_data_sensors(project: Project, minimum_interval_seconds: int = 300) -> list[SensorDefinition]:
    sensors = []
    for source in sorted(project.registries):
        tables = late_data_tables(project, source)
        if not tables:
            continue
        selection = AssetSelection.assets(*[k for ref in tables for k in (raw_key(ref), src_key(ref))]).downstream()

        def _evaluate(context: SensorEvaluationContext, _source: str = source) -> SensorResult | SkipReason:
            return evaluate_late_data(context, project, _source)

        sensors.append(
            sensor(
                name=f"strataflow_late_data_{source}",
                asset_selection=selection,
                minimum_interval_seconds=minimum_interval_seconds,
                default_status=DefaultSensorStatus.RUNNING,
                description=(
                    f"Re-materializes partitions of {source} whose source rows changed after extraction "
                    "(back-dated or late rows, deleted rows), with everything downstream."
                ),
            )(_evaluate)
        )
    return sensors
