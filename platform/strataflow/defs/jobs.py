"""Partitioned jobs: the main one runs RAW -> SRC -> dbt for the main partitioning; tables with another
partitioning get a RAW/SRC job of their own. Each job has a (stopped) schedule for its latest partition."""

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


def main_partitioning(project: Project) -> PartitioningConfig:
    """The partitioning most tables share; dbt models are partitioned like it."""
    counts = Counter(ref.config.partitioning for ref in project.tables())
    return counts.most_common(1)[0][0]


def build_jobs(
    project: Project, dbt: AssetsDefinition, exclude_checks: Sequence[AssetChecksDefinition] = ()
) -> tuple[list, list[ScheduleDefinition]]:
    """`exclude_checks`: separately scheduled checks (freshness) that partition runs must not execute."""
    main = main_partitioning(project)
    # DuckDB is a single-writer file: steps of a run take turns instead of racing for its lock.
    executor = (
        in_process_executor
        if isinstance(project.environment.warehouse, DuckDBWarehouseConfig)
        else (multiprocess_executor)
    )
    groups: dict[PartitioningConfig, list[TableRef]] = {}
    for ref in project.tables():
        groups.setdefault(ref.config.partitioning, []).append(ref)

    jobs = []
    for n, (partitioning, refs) in enumerate(sorted(groups.items(), key=lambda g: g[0] != main)):
        selection = AssetSelection.assets(*[k for ref in refs for k in (raw_key(ref), src_key(ref))])
        if partitioning == main:
            name, description = MAIN_JOB if main.grain == "daily" else f"strataflow_{main.grain}", "RAW, SRC and dbt"
            selection = selection | AssetSelection.assets(dbt)
        else:
            name, description = f"strataflow_{partitioning.grain}_{n}", "RAW and SRC"
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
    schedules = [build_schedule_from_partitioned_job(j, default_status=DefaultScheduleStatus.STOPPED) for j in jobs]
    return jobs, schedules
