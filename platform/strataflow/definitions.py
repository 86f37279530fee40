"""The Dagster code location: assets built from configs/ (see strataflow.config for how it is found)."""

import warnings

from dagster import BetaWarning, Definitions

from strataflow.config import Project, load_project
from strataflow.dbt_build import prepare_dbt_build
from strataflow.defs.dbt_assets import build_dbt_assets, dbt_resource
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
        assets = [build(ref) for ref in project.tables() for build in (build_raw_asset, build_src_asset)]
    jobs, schedules = build_jobs(project, dbt)
    return Definitions(
        assets=[*assets, *([dbt] if dbt else [])],
        jobs=jobs,
        schedules=schedules,
        resources={
            "strataflow": StrataflowResource(configs_dir=str(project.configs_dir), env=project.env_name),
            "dbt": dbt_resource(project, dbt_build.dir),
        },
    )


defs = build_definitions()
