"""Backfills of a partition range: RAW and SRC one partition at a time, dbt once over the whole range.

Two ways, the same assets:
- `submit_backfill` hands the instance a Dagster asset backfill (the UI's backfills page shows it and the
  daemon runs it): RAW/SRC have a one-partition-per-run policy, the partitioned dbt part a single-run
  policy, so the daemon launches one RAW/SRC run per partition and dbt runs over every partition that is
  ready when it is launched (then the full-rebuild models once).
- `run_backfill` executes here: each partition's RAW/SRC run, then one run of dbt over the range (window
  vars = the range, so dbt pays its start-up and per-model cost once, not N times).
Both record their runs against the code location (strataflow.local_runs), so the UI knows them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions, JobDefinition, TimeWindow
from dagster._core.execution.backfill import PartitionBackfill

from strataflow import local_runs
from strataflow.config import Project, TableRef
from strataflow.defs.jobs import MAIN_JOB, main_partitioning
from strataflow.defs.lake_assets import raw_key, src_key
from strataflow.runner import quiet
from strataflow.step_failures import StepFailure, step_failures

BACKFILL_TAG = "strataflow/backfill"


class BackfillError(ValueError):
    """A backfill request that cannot be served (unknown table, empty range, other partitioning)."""


@dataclass(frozen=True)
class BackfillPlan:
    lake_keys: tuple[AssetKey, ...]  # RAW and SRC of the chosen tables
    dbt_keys: tuple[AssetKey, ...]  # dbt models downstream of them
    partitions: tuple[str, ...]

    @property
    def keys(self) -> tuple[AssetKey, ...]:
        return (*self.lake_keys, *self.dbt_keys)


@dataclass
class BackfillResult:
    run_ids: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # partitions (or "dbt") whose run failed
    failures: list[StepFailure] = field(default_factory=list)  # their failed steps, with the errors
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return not self.failed


def choose_tables(project: Project, source: str | None, table: str | None) -> list[TableRef]:
    refs = [r for r in project.tables() if (source is None or r.source == source) and (table in (None, r.name))]
    if not refs:
        known = ", ".join(f"{r.source}.{r.name}" for r in project.tables())
        raise BackfillError(f"no table matches --source {source} --table {table}. Fix: use one of: {known}")
    main = main_partitioning(project)
    other = [f"{r.source}.{r.name}" for r in refs if r.config.partitioning != main]
    if other:
        raise BackfillError(
            f"{', '.join(other)} are not partitioned like the main job ({main.grain} from {main.start}). "
            "Fix: backfill them with --table, one partitioning at a time"
        )
    return refs


def plan_backfill(defs: Definitions, refs: Sequence[TableRef], first: date, last: date) -> BackfillPlan:
    if last < first:
        raise BackfillError(f"--to {last} is before --from {first}")
    graph = defs.resolve_asset_graph()
    lake = [k for ref in refs for k in (raw_key(ref), src_key(ref))]
    downstream = AssetSelection.assets(*[src_key(r) for r in refs]).downstream().resolve(graph)
    # Materializable only: exposures (external assets downstream of the marts) are not run.
    dbt = sorted(
        (k for k in downstream if k.path[0] not in ("raw", "src") and graph.get(k).is_materializable),
        key=lambda k: k.to_user_string(),
    )
    partitions_def = graph.get(lake[0]).partitions_def
    assert partitions_def is not None
    window = TimeWindow(
        datetime.combine(first, datetime.min.time(), UTC),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC),
    )
    keys = partitions_def.get_partition_keys_in_time_window(window)
    if not keys:
        raise BackfillError(f"no partition between {first} and {last}")
    return BackfillPlan(tuple(lake), tuple(dbt), tuple(keys))


def submit_backfill(instance: DagsterInstance, defs: Definitions, plan: BackfillPlan, title: str) -> str:
    """Add an asset backfill to the instance; the daemon runs it. Returns the backfill id."""
    backfill_id = uuid.uuid4().hex[:8]
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=backfill_id,
        asset_graph=defs.resolve_asset_graph(),
        partition_names=list(plan.partitions),
        asset_selection=list(plan.keys),
        backfill_timestamp=time.time(),
        tags={BACKFILL_TAG: title},
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=title,
        description=f"strataflow backfill {plan.partitions[0]}..{plan.partitions[-1]}",
        run_config=None,
    )
    instance.add_backfill(backfill)
    return backfill_id


Progress = Callable[[str, str, int, int], None]  # (phase, item, done, total)


def run_backfill(
    instance: DagsterInstance,
    defs: Definitions,
    plan: BackfillPlan,
    *,
    progress: Progress | None = None,
    tags: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> BackfillResult:
    """RAW/SRC run per partition, then one dbt run over the whole range; all in this process.

    With `log_path`, Dagster's and dbt's output go to that file (the terminal shows progress and, on
    failure, the CLI's one message) instead of the console with stack traces."""
    job = defs.resolve_job_def(MAIN_JOB)
    result = BackfillResult()
    progress = progress or (lambda *_: None)
    tags = dict(tags or {})
    started = time.monotonic()
    total = len(plan.partitions)
    for n, key in enumerate(plan.partitions, 1):
        ok, run_id = _execute(
            instance, job, plan.lake_keys, {**tags, **local_runs.partition_tags(key, key)}, result.failures, log_path
        )
        result.run_ids.append(run_id)
        if not ok:
            result.failed.append(key)
        progress("RAW/SRC", key, n, total)
    result.timings["raw_src_s"] = time.monotonic() - started
    if plan.dbt_keys and not result.failed:
        started = time.monotonic()
        first, last = plan.partitions[0], plan.partitions[-1]
        ok, run_id = _execute(
            instance, job, plan.dbt_keys, {**tags, **local_runs.partition_tags(first, last)}, result.failures, log_path
        )
        result.run_ids.append(run_id)
        if not ok:
            result.failed.append("dbt")
        progress("dbt", f"{first}..{last}", 1, 1)
        result.timings["dbt_s"] = time.monotonic() - started
    return result


def _execute(
    instance: DagsterInstance,
    job: JobDefinition,
    keys: Sequence[AssetKey],
    tags: dict[str, str],
    failures: list[StepFailure],
    log_path: Path | None,
) -> tuple[bool, str]:
    """Run here; the failed steps (with their errors) are appended to `failures`."""
    run = local_runs.create_run(instance, job, asset_selection=keys, tags=tags)
    with quiet(log_path) if log_path is not None else nullcontext():
        failures.extend(step_failures(local_runs.execute(instance, job, run), run.run_id))
    return local_runs.run_succeeded(instance, run.run_id), run.run_id
