"""The Dagster code location: assets built from configs/ (see strataflow.config for how it is found)."""

import warnings

from dagster import BetaWarning, Definitions

from strataflow.config import Project, load_project
from strataflow.dbt_build import prepare_dbt_build
from strataflow.defs.alert_sensor import build_alert_sensor
from strataflow.defs.dbt_assets import build_dbt_assets, dbt_resource
from strataflow.defs.freshness import build_freshness
from strataflow.defs.jobs import build_jobs, main_partitioning
from strataflow.defs.lake_assets import build_raw_asset, build_src_asset
from strataflow.defs.partitions import partitions_for
from strataflow.defs.resources import StrataflowResource


def build_definitions(project: Project | None = None) -> Definitions:
    project = project or load_project()
    dbt_build = prepare_dbt_build(project)  # outside the checkout: loading never writes tracked files
    with warnings.catch_warnings():  # backfill_policy on @asset is marked beta in Dagster 1.13
        warnings.simplefilter("ignore", BetaWarning)
        dbt = (
            build_dbt_assets(project, dbt_build.manifest, partitions_for(main_partitioning(project)))
            if dbt_build.has_models()
            else None  # a registry whose sources no model reads yet: RAW and SRC only
        )
        assets = [
            a
            for ref in project.tables()
            for a in (build_raw_asset(ref), build_src_asset(ref, project.suite(ref).origin))
        ]
    fresh_checks, fresh_jobs, fresh_schedules = build_freshness(project)
    jobs, schedules = build_jobs(project, dbt, exclude_checks=fresh_checks)
    return Definitions(
        assets=[*assets, *([dbt] if dbt else [])],
        asset_checks=fresh_checks,
        jobs=[*jobs, *fresh_jobs],
        schedules=[*schedules, *fresh_schedules],
        sensors=[build_alert_sensor(project.environment.alerts)],
        resources={
            "strataflow": StrataflowResource(configs_dir=str(project.configs_dir), env=project.env_name),
            "dbt": dbt_resource(project, dbt_build.dir),
        },
    )


defs = build_definitions()
