"""The dbt project as Dagster assets: layers as key prefixes and groups, sources mapped to SRC assets,
dbt tests as asset checks (error severity blocks), the partition window passed to the window vars.

Two definitions (see strataflow.dbt_partitioning): `strataflow_dbt` holds the partitioned models, with a
single-run backfill policy so a backfill of N days runs dbt once over the whole range (RAW and SRC stay one
partition per run); `strataflow_dbt_full` holds the models rebuilt in full, unpartitioned, built once after
them."""

from collections.abc import Iterator, Sequence
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, BackfillPolicy, Config, PartitionsDefinition
from dagster_dbt import DbtCliResource, dbt_assets
from packaging.version import Version

from strataflow.config import Project
from strataflow.dbt_partitioning import split_manifest
from strataflow.dbt_runtime import dbt_dir, dbt_environment, dbt_executable
from strataflow.defs.dbt_metadata import stream_with_table_metadata
from strataflow.defs.dbt_translator import StrataflowDbtTranslator

PARTITIONED_DBT = "strataflow_dbt"
FULL_DBT = "strataflow_dbt_full"
# Tests run with the part that builds the model they are attached to, once all their parents are built:
# with dbt's default (eager), a relationships test of a mart would also run in the partitioned run, before
# the mart exists. STRATAFLOW_TABLE_METADATA: the post-hook logs column types and row counts
# (defs/dbt_metadata.py).
DBT_STEP_ENV = {"DBT_INDIRECT_SELECTION": "buildable", "STRATAFLOW_TABLE_METADATA": "1"}


class DbtRunConfig(Config):
    """Run config of the dbt step: `full_refresh: true` rebuilds incremental models from scratch."""

    full_refresh: bool = False


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
) -> list[AssetsDefinition]:
    """[partitioned part, full-rebuild part], leaving out a part without models (a registry whose sources
    no model reads yet has neither)."""
    lookback = lookback_days(project)
    split = split_manifest(manifest)

    @dbt_assets(
        manifest=manifest,
        select=split.select("partitioned"),
        dagster_dbt_translator=StrataflowDbtTranslator(dbt_dir()),
        partitions_def=partitions_def,
        name=PARTITIONED_DBT,
        backfill_policy=BackfillPolicy.single_run(),
        pool=pool,
    )
    def _dbt(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig) -> Iterator[Any]:
        args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
        with dbt_environment(project, {**partition_window_env(context, lookback), **DBT_STEP_ENV}):
            yield from stream_with_table_metadata(dbt.cli(args, context=context))

    @dbt_assets(
        manifest=manifest,
        select=split.select("full"),
        dagster_dbt_translator=StrataflowDbtTranslator(dbt_dir()),
        name=FULL_DBT,
        pool=pool,
    )
    def _dbt_full(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig) -> Iterator[Any]:
        args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
        with dbt_environment(project, DBT_STEP_ENV):
            yield from stream_with_table_metadata(dbt.cli(args, context=context))

    return [d for d, models in ((_dbt, split.partitioned), (_dbt_full, split.full)) if models]


class StrataflowDbtCli(DbtCliResource):
    """dagster-dbt's resource without two start-up costs strataflow does not need, ~5 s per dbt step:
    the `dbt --version` subprocess (a full dbt import) that tells dbt Core from Fusion (strataflow runs the
    dbt-core of its own environment), and the in-process dbt adapter that `fetch_row_counts` and
    `fetch_column_metadata` use (strataflow reads row counts and column types from its post-hook's log
    lines: defs/dbt_metadata.py)."""

    @property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource(project: Project, project_dir: Path) -> DbtCliResource:
    return StrataflowDbtCli(
        project_dir=str(project_dir),
        profiles_dir=str(project_dir),
        target=project.environment.warehouse.kind,
        dbt_executable=str(dbt_executable()),
    )
