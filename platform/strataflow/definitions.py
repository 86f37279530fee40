"""The Dagster code location: assets built from configs/ (see strataflow.config for how it is found)."""

import warnings

from dagster import BetaWarning, Definitions

from strataflow.config import Project, load_project
from strataflow.dbt_runtime import dbt_dir, prepare_dbt_project
from strataflow.defs.alert_sensor import build_alert_sensor
from strataflow.defs.analytics import exposure_specs, with_metric_metadata
from strataflow.defs.automation import automation_sensor, warehouse_pool
from strataflow.defs.dbt_assets import build_dbt_assets, dbt_resource
from strataflow.defs.freshness import build_freshness
from strataflow.defs.jobs import build_jobs, main_partitioning
from strataflow.defs.lake_assets import build_raw_asset, build_src_asset
from strataflow.defs.partitions import partitions_for
from strataflow.defs.resources import StrataflowResource


def build_definitions(project: Project | None = None) -> Definitions:
    project = project or load_project()
    project_dir = dbt_dir()
    manifest = prepare_dbt_project(project, project_dir)
    with warnings.catch_warnings():  # backfill_policy on @asset is marked beta in Dagster 1.13
        warnings.simplefilter("ignore", BetaWarning)
        pool = warehouse_pool(project.environment.warehouse)
        dbt = with_metric_metadata(
            build_dbt_assets(project, manifest, partitions_for(main_partitioning(project)), pool=pool), manifest
        )
        assets = [
            a
            for ref in project.tables()
            for a in (build_raw_asset(ref), build_src_asset(ref, project.suite(ref).origin, pool=pool))
        ]
    fresh_checks, fresh_jobs, fresh_schedules = build_freshness(project)
    jobs, schedules = build_jobs(project, dbt, exclude_checks=fresh_checks)
    return Definitions(
        assets=[*assets, dbt, *exposure_specs(manifest, dbt)],
        asset_checks=fresh_checks,
        jobs=[*jobs, *fresh_jobs],
        schedules=[*schedules, *fresh_schedules],
        sensors=[build_alert_sensor(project.environment.alerts), automation_sensor()],
        resources={
            "strataflow": StrataflowResource(configs_dir=str(project.configs_dir), env=project.env_name),
            "dbt": dbt_resource(project, project_dir),
        },
    )


defs = build_definitions()
