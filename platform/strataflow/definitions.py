"""The Dagster code location: assets built from configs/ (see strataflow.config for how it is found)."""

from __future__ import annotations

from dagster import Definitions

from strataflow.config import Project, load_project
from strataflow.defs.jobs import build_jobs
from strataflow.defs.lake_assets import build_raw_asset, build_src_asset
from strataflow.defs.resources import StrataflowResource


def build_definitions(project: Project | None = None) -> Definitions:
    project = project or load_project()
    assets = [build(ref) for ref in project.tables() for build in (build_raw_asset, build_src_asset)]
    jobs, schedules = build_jobs(project)
    return Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        resources={
            "strataflow": StrataflowResource(configs_dir=str(project.configs_dir), env=project.env_name)
        },
    )


defs = build_definitions()
