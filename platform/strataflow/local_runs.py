"""Runs executed in this process but recorded against the `strataflow` code location of workspace.yaml.

`JobDefinition.execute_in_process` records a run the UI cannot place: it has no code location, so the job's
run history, the timeline and re-execution do not know it. A run created here carries the same origin the
webserver gives the runs it launches (location `strataflow`, module `strataflow.definitions`), so the UI lists
it under the job and can re-execute it; the steps still run here, without a second Python start-up."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from dagster import AssetCheckKey, AssetKey, DagsterEvent, DagsterInstance, DagsterRun, JobDefinition
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run_iterator
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from sqlalchemy import event
from sqlalchemy.engine import Engine

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCATION = "strataflow"  # workspace.yaml's location_name
MODULE = "strataflow.definitions"


def job_origin(job_name: str) -> RemoteJobOrigin:
    """The origin of `job_name` as the webserver loads it from workspace.yaml."""
    target = LoadableTargetOrigin(executable_path=sys.executable, module_name=MODULE, working_directory=str(REPO_ROOT))
    location = ManagedGrpcPythonEnvCodeLocationOrigin(loadable_target_origin=target, location_name=LOCATION)
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), job_name)


def partition_tags(first: str, last: str) -> dict[str, str]:
    """Tags of a run over the partition range [first, last] (a single-run backfill's run)."""
    if first == last:
        return {"dagster/partition": first}
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def create_run(
    instance: DagsterInstance,
    job: JobDefinition,
    *,
    asset_selection: Sequence[AssetKey] | None = None,
    tags: Mapping[str, str] | None = None,
    run_config: Mapping[str, object] | None = None,
) -> DagsterRun:
    """A run of `job` (or of some of its assets with the job's own checks on them) with the origin above.

    Like `instance.create_run_for_job`, but with an explicit check selection: a subset otherwise takes every
    check of its assets, also those the job leaves out (the separately scheduled freshness checks)."""
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.snap import snapshot_from_execution_plan

    assets = checks = None
    if asset_selection:
        assets = frozenset(asset_selection)
        checks = checks_run_with(job, assets)
        job = job.get_subset(asset_selection=assets, asset_check_selection=checks)
    tags = dict(tags or {})
    plan = create_execution_plan(job=job, run_config=run_config or {}, instance_ref=instance.get_ref(), tags=tags)
    return instance.create_run(
        job_name=job.name,
        run_id=None,
        run_config=run_config or {},
        op_selection=None,
        asset_selection=assets,
        asset_check_selection=checks,
        resolved_op_selection=None,
        step_keys_to_execute=plan.step_keys_to_execute,
        status=None,
        tags=tags,
        root_run_id=None,
        parent_run_id=None,
        job_snapshot=job.get_job_snapshot(),
        execution_plan_snapshot=snapshot_from_execution_plan(plan, job.get_job_snapshot_id()),
        parent_job_snapshot=job.get_parent_job_snapshot(),
        remote_job_origin=job_origin(job.name),
        job_code_origin=None,
        asset_graph=job.asset_layer.asset_graph,
    )


def checks_run_with(job: JobDefinition, assets: frozenset[AssetKey]) -> frozenset[AssetCheckKey]:
    """The job's checks that run with `assets`: the checks on them, and the checks a selected step evaluates
    on assets it does not produce (dbt's source tests on the src assets, run by the dbt step).

    Not a check on a selected asset that only an unselected step evaluates: `asset_selection=` alone takes
    those, so a RAW/SRC run would start the dbt step for its source tests."""
    selected: set[AssetCheckKey] = set()
    for assets_def in job.asset_layer.asset_graph.assets_defs:
        standalone = not assets_def.keys
        runs_here = bool(assets_def.keys & assets)
        for check in assets_def.check_keys:
            on_selected = check.asset_key in assets
            evaluated_by_selected_step = runs_here and (on_selected or check.asset_key not in assets_def.keys)
            if (standalone and on_selected) or evaluated_by_selected_step:
                selected.add(check)
    return frozenset(selected)


def execute(instance: DagsterInstance, job: JobDefinition, run: DagsterRun) -> Iterator[DagsterEvent]:
    """Execute a run made by `create_run` here, yielding its events as they happen."""
    yield from execute_run_iterator(InMemoryJob(job), run, instance)


def run_succeeded(instance: DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_success


_FAST_COMMIT_HOMES: set[str] = set()


def fast_sqlite_commits(dagster_home: Path) -> None:
    """Commit this process's writes to the SQLite storage under `dagster_home` without an fsync each.

    Dagster's SQLite storage opens a connection for every event it stores and commits it with an fsync:
    with ~3,500 events (step, materialization and check events and their planned twins) that was a large
    share of the demo. In WAL mode `synchronous=NORMAL` keeps every commit through a crash of the process;
    only a power loss may drop the last few. Only WAL databases under `dagster_home` are touched."""
    if not _FAST_COMMIT_HOMES:
        event.listen(Engine, "connect", _relax_sync)
    _FAST_COMMIT_HOMES.add(str(Path(dagster_home).resolve()) + os.sep)


def _relax_sync(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    path = dbapi_connection.execute("PRAGMA database_list").fetchone()[2] or ""
    under_home = path.startswith(tuple(_FAST_COMMIT_HOMES))
    if under_home and dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
