"""`strataflow run`: materialize partitions of the configured jobs in this process.

The same Definitions and jobs the Dagster code location serves (build_definitions), executed with
Dagster's in-process execution against the Dagster instance (DAGSTER_HOME, else
$STRATAFLOW_HOME/dagster), so runs, materializations and checks show up in the UI afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey, AssetSelection, DagsterEventType, DagsterInstance

from strataflow.config import Project
from strataflow.connections import resolve_path
from strataflow.defs.jobs import job_groups
from strataflow.defs.lake_assets import raw_key, src_key
from strataflow.step_failures import RunFailedError, step_failures


class RunSelectionError(ValueError):
    """The filters or partitions select nothing that exists."""


@dataclass(frozen=True)
class PartitionOutcome:
    job: str
    partition: str
    success: bool
    materialized: int
    checks_passed: int
    checks: int
    seconds: float
    failure: RunFailedError | None = None  # what the CLI reports when the run failed


def strataflow_home(project: Project) -> Path:
    home = os.environ.get("STRATAFLOW_HOME")
    return Path(home).expanduser().resolve() if home else resolve_path(project, ".strataflow").resolve()


def ensure_dagster_home(project: Project) -> Path:
    """DAGSTER_HOME if set, else $STRATAFLOW_HOME/dagster with a default (SQLite) dagster.yaml."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(strataflow_home(project) / "dagster")
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    try:  # the ops helper's instance settings (run queue, pools), once available
        from strataflow.instance import ensure_instance_config  # type: ignore[import-not-found]
    except ImportError:
        (home / "dagster.yaml").touch()
    else:
        ensure_instance_config(home)
    return home


def partitions_between(keys: list[str], first: str | None, last: str | None) -> list[str]:
    """Keys whose day (first 10 characters: daily and hourly keys alike) lies in [first, last]."""
    return [k for k in keys if (first is None or k[:10] >= first) and (last is None or k[:10] <= last)]


def run_pipeline(
    project: Project,
    *,
    source: str | None = None,
    table: str | None = None,
    partition: str | None = None,
    first: str | None = None,
    last: str | None = None,
    log_path: Path | None = None,
    echo: Callable[[str], None] = print,
) -> list[PartitionOutcome]:
    """Run each job holding a selected table, one run per partition (as the jobs' backfill policy does).
    Without --source/--table: whole jobs (RAW, SRC, dbt). With them: those tables' RAW and SRC and every
    asset downstream of them in the job."""
    from strataflow.definitions import build_definitions

    refs = [r for r in project.tables() if source in (None, r.source) and table in (None, r.name)]
    if not refs:
        raise RunSelectionError(f"no configured table matches --source {source} --table {table}")
    ensure_dagster_home(project)
    instance = DagsterInstance.get()
    defs = build_definitions(project)
    graph = defs.resolve_asset_graph()
    log_path = log_path or strataflow_home(project) / "run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for name, _, group in job_groups(project):
        chosen = [r for r in group if r in refs]
        if not chosen:
            continue
        job = defs.resolve_job_def(name)
        selection: list[AssetKey] | None = None
        if source or table:
            roots = AssetSelection.assets(*[k for r in chosen for k in (raw_key(r), src_key(r))])
            in_job = job.asset_layer.asset_graph.get_all_asset_keys()
            selection = sorted(k for k in roots.downstream().resolve(graph) if k in in_job)
        keys = _partition_keys(job.partitions_def, partition, first, last)
        echo(f"{name}: {len(keys)} partition(s), {len(chosen)} table(s); Dagster and dbt logs: {log_path}")
        for n, key in enumerate(keys, 1):
            started = time.monotonic()
            echo(f"  [{n}/{len(keys)}] {key} ...")
            with quiet(log_path):
                result = job.execute_in_process(
                    partition_key=key, instance=instance, asset_selection=selection, raise_on_error=False
                )
            checks = [
                e.asset_check_evaluation_data
                for e in result.all_events
                if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
            ]
            failure = (
                None if result.success else RunFailedError(step_failures(result.all_events, result.run_id), log_path)
            )
            outcome = PartitionOutcome(
                name,
                key,
                result.success,
                len(result.get_asset_materialization_events()),
                sum(c.passed for c in checks),
                len(checks),
                time.monotonic() - started,
                failure,
            )
            outcomes.append(outcome)
            echo(
                f"  [{n}/{len(keys)}] {key}: {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f}s, "
                f"{outcome.materialized} assets materialized, {outcome.checks_passed}/{outcome.checks} checks passed"
            )
            if not result.success:
                failed = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
                echo(f"  failed steps: {', '.join(sorted(set(filter(None, failed))))}; run id {result.run_id}")
                return outcomes
    return outcomes


def _partition_keys(partitions_def, partition: str | None, first: str | None, last: str | None) -> list[str]:
    if partition:
        if not partitions_def.has_partition_key(partition):
            raise RunSelectionError(
                f"partition {partition!r} does not exist (first {partitions_def.get_first_partition_key()}, "
                f"last {partitions_def.get_last_partition_key()})"
            )
        return [partition]
    if first or last:
        keys = partitions_between(list(partitions_def.get_partition_keys()), first, last)
        if not keys:
            raise RunSelectionError(f"no partition between {first} and {last}")
        return keys
    last_key = partitions_def.get_last_partition_key()
    if last_key is None:
        raise RunSelectionError("the job has no partition yet (its start lies in the future)")
    return [last_key]


@contextmanager
def quiet(log_path: Path) -> Iterator[None]:
    """Dagster's and dbt's own output goes to the log file; the terminal shows one line per partition."""
    with open(log_path, "a") as log, redirect_stdout(log), redirect_stderr(log):
        yield
