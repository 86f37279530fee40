"""A full refresh is run config of the main job, not a code edit; without it dbt runs incrementally."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance

from pipeline_helpers import START, day_keys, make_project, subset
from strataflow.definitions import build_definitions
from strataflow.defs.jobs import MAIN_JOB
from strataflow.demo.seeding import seed_source

FULL_REFRESH = {"ops": {op: {"config": {"full_refresh": True}} for op in ("strataflow_dbt", "strataflow_dbt_full")}}


def satellite_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("SELECT count(*) FROM vlt.vlt_sat_customer").fetchone()[0]


def test_full_refresh_rebuilds_what_an_incremental_run_leaves_alone(tmp_path: Path) -> None:
    source = tmp_path / "shop.sqlite"
    seed_source(sqlite_path=source, scale=120, start=START, days=4, echo=lambda _: None)
    warehouse = tmp_path / "warehouse.duckdb"
    project = make_project(
        tmp_path,
        {"kind": "sqlite", "path": str(source)},
        {"kind": "local", "path": str(tmp_path / "lake")},
        {"kind": "duckdb", "path": str(warehouse)},
    )
    defs = build_definitions(project)
    job = defs.resolve_job_def(MAIN_JOB)
    instance = DagsterInstance.ephemeral()
    lake_assets = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] in ("raw", "src")]
    for key in day_keys(0, 3):
        assert subset(job, lake_assets).execute_in_process(partition_key=key, instance=instance).success
    last = day_keys(3, 3)[0]
    assert job.execute_in_process(partition_key=last, instance=instance).success  # first build reads all
    built = satellite_rows(warehouse)
    assert built > 0

    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("DELETE FROM vlt.vlt_sat_customer")
    incremental = job.execute_in_process(partition_key=last, instance=instance, asset_selection=dbt_keys(defs))
    assert incremental.success
    assert 0 < satellite_rows(warehouse) < built  # only the run's window was merged back

    refreshed = job.execute_in_process(
        partition_key=last, instance=instance, asset_selection=dbt_keys(defs), run_config=FULL_REFRESH
    )
    assert refreshed.success
    assert satellite_rows(warehouse) == built


def dbt_keys(defs) -> list[AssetKey]:
    return [
        k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] in ("vin", "vlt", "ain", "ana", "mrt")
    ]
