"""One partitioned job per partitioning scheme, with a schedule that runs the latest partition."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from strataflow.config import Project, TableRef
from strataflow.defs.lake_assets import raw_key, src_key

MAIN_JOB = "strataflow_daily"


def build_jobs(project: Project) -> tuple[list, list[ScheduleDefinition]]:
    """Tables sharing a partitioning (grain + start) run together: `strataflow_daily` is the main job;
    further schemes of the same grain get a numeric suffix."""
    groups: dict[tuple[str, str], list[TableRef]] = {}
    for ref in project.tables():
        p = ref.config.partitioning
        groups.setdefault((p.grain, str(p.start)), []).append(ref)
    jobs, schedules = [], []
    per_grain: dict[str, int] = {}
    for (grain, start), refs in sorted(groups.items()):
        n = per_grain[grain] = per_grain.get(grain, 0) + 1
        name = f"strataflow_{grain}" + (f"_{n}" if n > 1 else "")
        job = define_asset_job(
            name,
            selection=AssetSelection.assets(*[k for ref in refs for k in (raw_key(ref), src_key(ref))]),
            description=f"RAW and SRC of the {len(refs)} {grain} tables partitioned from {start}.",
        )
        jobs.append(job)
        schedules.append(
            build_schedule_from_partitioned_job(job, default_status=DefaultScheduleStatus.STOPPED)
        )
    return jobs, schedules
