"""The Dagster code location: assets built from configs/ (see strataflow.config for how it is found)."""

import warnings

from dagster import BetaWarning, Definitions

from strataflow.config import ConfigError, Project, load_project
from strataflow.dbt_build import prepare_dbt_build
from strataflow.defs.alert_sensor import build_alert_sensor
from strataflow.defs.analytics import exposure_specs, with_metric_metadata
from strataflow.defs.automation import automation_sensor, warehouse_pool
from strataflow.defs.catalog import document_lake_assets, source_table_specs
from strataflow.defs.connection_resources import lake_s3_resource, snowflake_resource
from strataflow.defs.dbt_assets import build_dbt_assets, dbt_resource
from strataflow.defs.freshness import build_freshness
from strataflow.defs.jobs import build_jobs, main_partitioning
from strataflow.defs.lake_assets import build_raw_asset, build_src_asset
from strataflow.defs.late_data_sensor import build_late_data_sensors
from strataflow.defs.partitions import partitions_for
from strataflow.defs.resources import StrataflowResource
from strataflow.validation import suite_problems_from_lake


def build_definitions(project: Project | None = None) -> Definitions:
    project = project or load_project()
    if problems := suite_problems_from_lake(project):
        raise ConfigError(problems)
    dbt_build = prepare_dbt_build(project)  # outside the checkout: loading never writes tracked files
    # backfill_policy on @asset and code references are marked beta in Dagster 1.13
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        pool = warehouse_pool(project.environment.warehouse)
        dbt = [
            with_metric_metadata(part, dbt_build.manifest)
            for part in build_dbt_assets(
                project, dbt_build.manifest, partitions_for(main_partitioning(project)), pool=pool
            )
        ]
        assets = [
            a
            for ref in project.tables()
            for a in (build_raw_asset(ref), build_src_asset(ref, project.suite(ref).origin, pool=pool))
        ]
        assets = [*source_table_specs(project), *document_lake_assets(project, assets)]
    fresh_checks, fresh_jobs, fresh_schedules = build_freshness(project)
    jobs, schedules = build_jobs(project, dbt, exclude_checks=fresh_checks)
    # Shown on the UI's resources page; the strataflow resource takes its lake / Snowflake connection from them.
    connections = {"lake_s3": lake_s3_resource(project), "snowflake": snowflake_resource(project)}
    connections = {name: resource for name, resource in connections.items() if resource is not None}
    return Definitions(
        assets=[*assets, *dbt, *exposure_specs(dbt_build.manifest, dbt)],
        asset_checks=fresh_checks,
        jobs=[*jobs, *fresh_jobs],
        schedules=[*schedules, *fresh_schedules],
        sensors=[
            build_alert_sensor(project.environment.alerts),
            automation_sensor(),
            *build_late_data_sensors(project),
        ],
        resources={
            "strataflow": StrataflowResource(configs_dir=str(project.configs_dir), env=project.env_name, **connections),
            **connections,
            "dbt": dbt_resource(project, dbt_build.dir),
        },
    )


defs = build_definitions()
