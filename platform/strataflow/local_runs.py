"""Runs executed in this process but recorded against the `strataflow` code location of workspace.yaml.

`JobDefinition.execute_in_process` records a run the UI cannot place: it has no code location, so the job's
run history, the timeline and re-execution do not know it. A run created here carries the same origin the
webserver gives the runs it launches (location `strataflow`, module `strataflow.definitions`), so the UI lists
it under the job and can re-execute it; the steps still run here, without a second Python start-up."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from dagster import AssetKey, DagsterEvent, DagsterInstance, DagsterRun, JobDefinition
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run_iterator
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

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
    subset = job.get_subset(asset_selection=set(asset_selection)) if asset_selection else job
    return instance.create_run_for_job(
        job_def=subset,
        run_config=run_config or {},
        tags=dict(tags or {}),
        asset_selection=frozenset(asset_selection) if asset_selection else None,
        remote_job_origin=job_origin(job.name),
    )


def execute(instance: DagsterInstance, job: JobDefinition, run: DagsterRun) -> Iterator[DagsterEvent]:
    """Execute a run made by `create_run` here, yielding its events as they happen."""
    yield from execute_run_iterator(InMemoryJob(job), run, instance)


def run_succeeded(instance: DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_success
