"""The dbt project as Dagster assets: layers as key prefixes and groups, sources mapped to SRC assets,
dbt tests as asset checks (error severity blocks), the partition window passed to the window vars."""

from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    Config,
    PartitionsDefinition,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from strataflow.config import Project
from strataflow.dbt_runtime import dbt_environment, dbt_executable
from strataflow.defs.automation import downstream_condition
from strataflow.defs.lake_assets import ONE_PARTITION_PER_RUN

LAYERS = ("vin", "vlt", "ain", "ana", "mrt")


class DbtRunConfig(Config):
    """Run config of the dbt step: `full_refresh: true` rebuilds incremental models from scratch."""

    full_refresh: bool = False


class StrataflowDbtTranslator(DagsterDbtTranslator):
    """Models are keyed [<layer>, <model>] (their folder), so the UI reads the layers left to right."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] in ("model", "snapshot", "seed") and len(fqn) > 2:
            name, version = dbt_resource_props["name"], dbt_resource_props.get("version")
            if version is not None and str(version) != str(dbt_resource_props.get("latest_version")):
                name = f"{name}_v{version}"  # an older version of a versioned model: its own asset
            return AssetKey([fqn[1], name])
        return super().get_asset_key(dbt_resource_props)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        return downstream_condition()

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else super().get_group_name(dbt_resource_props)


def partition_window_env(context: AssetExecutionContext, lookback_days: int) -> dict[str, str]:
    """The run's partition range as inclusive ISO dates, for the vars strataflow_partition_start/_end, and
    the lookback (strataflow_lookback_days).

    Passed as the env vars the vars fall back to (macros/incremental_window.sql), not as --vars: dbt
    re-parses the whole project whenever --vars change, which would be every run."""
    window = context.partition_time_window
    last = window.end - timedelta(microseconds=1)
    return {
        "STRATAFLOW_PARTITION_START": window.start.date().isoformat(),
        "STRATAFLOW_PARTITION_END": last.date().isoformat(),
        "STRATAFLOW_LOOKBACK_DAYS": str(lookback_days),
    }


def lookback_days(project: Project) -> int:
    """0 when every table loads in the main job, whose dbt step then reads exactly the run's partitions;
    1 when some tables have another partitioning: their RAW/SRC job runs no dbt, so a partition it loads
    after the main job's dbt step read that day is picked up by the next day's run."""
    partitionings = {ref.config.partitioning for ref in project.tables()}
    return 0 if len(partitionings) == 1 else 1


def build_dbt_assets(
    project: Project, manifest: Path, partitions_def: PartitionsDefinition, pool: str | None = None
) -> AssetsDefinition:
    lookback = lookback_days(project)

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=StrataflowDbtTranslator(),
        partitions_def=partitions_def,
        name="strataflow_dbt",
        backfill_policy=ONE_PARTITION_PER_RUN,
        pool=pool,
    )
    def _dbt(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig) -> Iterator[Any]:
        args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
        with dbt_environment(project, partition_window_env(context, lookback)):
            yield from dbt.cli(args, context=context).stream()

    return _dbt


def dbt_resource(project: Project, project_dir: Path) -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(project_dir),
        profiles_dir=str(project_dir),
        target=project.environment.warehouse.kind,
        dbt_executable=str(dbt_executable()),
    )
