"""Freshness: tables with `freshness: {max_lag: ...}` get a Dagster freshness policy on their SRC asset
(the UI's freshness state, which the alert sensor follows) and a `freshness` asset check that fails when
the newest committed partition lags more than max_lag; a job and an hourly schedule run the checks."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    asset_check,
    define_asset_job,
)

from strataflow.config import Project, TableRef
from strataflow.defs.lake_assets import src_key
from strataflow.defs.quality import FRESHNESS_CHECK
from strataflow.defs.resources import StrataflowResource
from strataflow.quality.freshness import freshness

FRESHNESS_JOB = "strataflow_freshness"


def build_freshness_check(ref: TableRef) -> AssetChecksDefinition:
    assert ref.config.freshness is not None
    max_lag = ref.config.freshness.max_lag

    @asset_check(
        asset=src_key(ref),
        name=FRESHNESS_CHECK,
        description=f"The newest committed partition of {ref.source}.{ref.name} lags at most {max_lag} "
        "(from the end of its window).",
        blocking=False,
    )
    def _freshness(context: AssetCheckExecutionContext, strataflow: StrataflowResource) -> AssetCheckResult:
        result = freshness(strataflow.storage(), ref.source, ref.config)
        return AssetCheckResult(
            passed=result.passed,
            severity=AssetCheckSeverity.ERROR,
            description=result.summary(),
            metadata={
                "newest_partition": result.newest_partition or "",
                "lag_hours": round(result.lag.total_seconds() / 3600, 2) if result.lag is not None else -1.0,
                "max_lag_hours": round(result.max_lag.total_seconds() / 3600, 2),
            },
        )

    return _freshness


def build_freshness(project: Project) -> tuple[list[AssetChecksDefinition], list, list[ScheduleDefinition]]:
    checks = [build_freshness_check(ref) for ref in project.tables() if ref.config.freshness]
    if not checks:
        return [], [], []
    job = define_asset_job(
        FRESHNESS_JOB,
        selection=AssetSelection.checks(*checks),
        description="Freshness checks of the tables with a freshness SLA (freshness: {max_lag: ...}).",
    )
    schedule = ScheduleDefinition(job=job, cron_schedule="15 * * * *", default_status=DefaultScheduleStatus.STOPPED)
    return checks, [job], [schedule]
