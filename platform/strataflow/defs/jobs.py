"""Partitioned jobs: the main one runs RAW -> SRC -> dbt for the main partitioning; tables with another
partitioning get a RAW/SRC job of their own. Each job has a (stopped) schedule for its latest partition."""

import warnings
from collections import Counter
from collections.abc import Sequence

from dagster import (
    AssetChecksDefinition,
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
    multiprocess_executor,
)

from strataflow.config import Project, TableRef
from strataflow.config.models import DuckDBWarehouseConfig, PartitioningConfig
from strataflow.defs.lake_assets import raw_key, src_key

MAIN_JOB = "strataflow_daily"

# RAW/SRC run one partition per run, dbt a whole range (an asset backfill honours each); a job backfill of the
# main job takes the smaller, one partition per run, and Dagster warns so whenever the job is resolved.
warnings.filterwarnings("ignore", message=".*varying BackfillPolicies.*")


def main_partitioning(project: Project) -> PartitioningConfig:
    """The partitioning most tables share; dbt models are partitioned like it."""
    counts = Counter(ref.config.partitioning for ref in project.tables())
    return counts.most_common(1)[0][0]


def job_groups(project: Project) -> list[tuple[str, PartitioningConfig, list[TableRef]]]:
    """(job name, partitioning, tables) per job, the main job first: shared with `strataflow run`."""
    main = main_partitioning(project)
    groups: dict[PartitioningConfig, list[TableRef]] = {}
    for ref in project.tables():
        groups.setdefault(ref.config.partitioning, []).append(ref)
    out = []
    for n, (partitioning, refs) in enumerate(sorted(groups.items(), key=lambda g: g[0] != main)):
        if partitioning == main:
            name = MAIN_JOB if main.grain == "daily" else f"strataflow_{main.grain}"
        else:
            name = f"strataflow_{partitioning.grain}_{n}"
        out.append((name, partitioning, refs))
    return out


def build_jobs(
    project: Project, dbt: Sequence[AssetsDefinition], exclude_checks: Sequence[AssetChecksDefinition] = ()
) -> tuple[list, list[ScheduleDefinition]]:
    """`dbt`: the dbt parts (none when no model is enabled for this registry: RAW and SRC only).
    `exclude_checks`: separately scheduled checks (freshness) that partition runs must not execute."""
    main = main_partitioning(project)
    # DuckDB is a single-writer file: steps of a run take turns instead of racing for its lock.
    executor = (
        in_process_executor
        if isinstance(project.environment.warehouse, DuckDBWarehouseConfig)
        else (multiprocess_executor)
    )
    jobs = []
    for name, partitioning, refs in job_groups(project):
        selection = AssetSelection.assets(*[k for ref in refs for k in (raw_key(ref), src_key(ref))])
        description = "RAW and SRC"
        if partitioning == main and dbt:
            description = "RAW, SRC and dbt"
            selection = selection | AssetSelection.assets(*dbt)
        if exclude_checks:
            selection = selection - AssetSelection.checks(*exclude_checks)
        jobs.append(
            define_asset_job(
                name,
                selection=selection,
                executor_def=executor,
                description=f"{description} of the {len(refs)} tables partitioned {partitioning.grain} "
                f"from {partitioning.start}.",
            )
        )
    schedules = [
        build_schedule_from_partitioned_job(
            j,
            default_status=DefaultScheduleStatus.STOPPED,
            description=f"Runs {j.name} for each {j.name.split('_')[1]} partition once it has ended "
            "(stopped by default: start it in the UI or with `dagster schedule start`).",
        )
        for j in jobs
    ]
    return jobs, schedules
