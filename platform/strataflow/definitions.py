"""The Dagster code location: assets built from configs/ (see strataflow.config for how it is found)."""

import warnings

from dagster import BetaWarning, Definitions

from strataflow.config import Project, load_project
from strataflow.dbt_runtime import dbt_dir, prepare_dbt_project
from strataflow.defs.alert_sensor import build_alert_sensor
from strataflow.defs.analytics import exposure_specs, with_metric_metadata
from strataflow.defs.dbt_assets import build_dbt_assets, dbt_resource
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
        dbt = with_metric_metadata(
            build_dbt_assets(project, manifest, partitions_for(main_partitioning(project))), manifest
        )
        assets = [build(ref) for ref in project.tables() for build in (build_raw_asset, build_src_asset)]
    jobs, schedules = build_jobs(project, dbt)
    return Definitions(
        assets=[*assets, dbt, *exposure_specs(manifest, dbt)],
        jobs=jobs,
        schedules=schedules,
        sensors=[build_alert_sensor(project.environment.alerts)],
        resources={
            "strataflow": StrataflowResource(configs_dir=str(project.configs_dir), env=project.env_name),
            "dbt": dbt_resource(project, project_dir),
        },
    )


defs = build_definitions()
