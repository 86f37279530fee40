"""A backfill runs RAW/SRC per partition and dbt once over the range, and builds the same warehouse as
running the partitions one by one; `strataflow backfill` submits a real asset backfill to the instance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from dagster import DagsterEventType, DagsterInstance, instance_for_test

from pipeline_helpers import START, day_keys, make_project, run_partitions
from strataflow.backfill import BackfillError, choose_tables, plan_backfill, run_backfill
from strataflow.cli import main
from strataflow.dbt_partitioning import split_manifest
from strataflow.dbt_runtime import prepare_dbt_project
from strataflow.definitions import build_definitions
from strataflow.demo.seeding import seed_source

LAYERS = ("src", "vin", "vlt", "ain", "ana", "mrt")
VOLATILE = {"_loaded_at"}  # when the row was loaded: differs between any two loads


def warehouse_state(path: Path) -> dict[str, list[tuple]]:
    """Every layer table's rows, sorted, without load times; ain_changed_keys is the last run's change set."""
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join(repr(s) for s in LAYERS)}) and table_name <> 'ain_changed_keys'"
        ).fetchall()
        state = {}
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            columns = [d[0] for d in conn.execute(f"select * from {name} limit 0").description]
            kept = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE)
            state[f"{schema}.{table}"] = sorted(
                tuple(map(repr, r)) for r in conn.execute(f"select {kept} from {name}").fetchall()
            )
    return state


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backfill-source") / "shop.sqlite"
    seed_source(sqlite_path=path, scale=150, start=START, days=2, change_days=1, echo=lambda _: None)
    return path


def project_on(tmp: Path, source: Path):
    return make_project(
        tmp,
        {"kind": "sqlite", "path": str(source)},
        {"kind": "local", "path": str(tmp / "lake")},
        {"kind": "duckdb", "path": str(tmp / "warehouse.duckdb")},
    )


def test_models_split_into_partitioned_and_full_rebuild() -> None:
    from strataflow.config import load_project

    split = split_manifest(prepare_dbt_project(load_project()))
    assert "vlt_sat_customer" in split.partitioned and "vin_customers" in split.partitioned
    assert "ain_changed_keys" in split.partitioned  # a table, but it reads the partition window
    assert {"mrt_customer_features", "ana_products", "vlt_sat_category"} <= set(split.full)
    assert not set(split.partitioned) & set(split.full)
    # Both versions of a versioned model are selected, each by its fqn.
    versions = {"fqn:strataflow.mrt.mrt_vendor_performance.v1", "fqn:strataflow.mrt.mrt_vendor_performance.v2"}
    assert versions <= set(split.select("full").split())


@pytest.mark.slow
def test_backfill_runs_dbt_once_and_equals_day_by_day(tmp_path: Path, source: Path) -> None:
    keys = day_keys(0, 2)
    daily = project_on(tmp_path / "daily", source)
    run_partitions(daily, keys, DagsterInstance.ephemeral())

    ranged = project_on(tmp_path / "backfill", source)
    defs = build_definitions(ranged)
    plan = plan_backfill(defs, choose_tables(ranged, None, None), date.fromisoformat(keys[0]), date(2025, 1, 3))
    assert plan.partitions == tuple(keys)
    seen: list[tuple[str, str]] = []
    with instance_for_test() as instance:
        result = run_backfill(instance, defs, plan, progress=lambda phase, item, *_: seen.append((phase, item)))
        assert result.success, result.failed
        dbt_steps = [
            e.step_key
            for run_id in result.run_ids
            for e in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
            if e.step_key and e.step_key.startswith("strataflow_dbt")
        ]
        runs = [instance.get_run_by_id(r) for r in result.run_ids]
    assert sorted(dbt_steps) == ["strataflow_dbt", "strataflow_dbt_full"]  # dbt once over the whole range
    assert seen == [*(("RAW/SRC", k) for k in keys), ("dbt", f"{keys[0]}..{keys[-1]}")]
    assert all(r.remote_job_origin and r.remote_job_origin.location_name == "strataflow" for r in runs)
    assert runs[-1].tags["dagster/asset_partition_range_start"] == keys[0]

    day_by_day = warehouse_state(tmp_path / "daily" / "warehouse.duckdb")
    backfilled = warehouse_state(tmp_path / "backfill" / "warehouse.duckdb")
    # Every model is downstream of a backfilled table, MetricFlow's time spines too (they span the order days).
    assert set(backfilled) == set(day_by_day)
    assert {"mrt.mrt_time_spine_daily", "mrt.mrt_time_spine_hourly"} <= set(backfilled)
    assert "mrt.mrt_customer_features" in backfilled and backfilled["vlt.vlt_sat_customer"]
    different = [t for t in backfilled if day_by_day[t] != backfilled[t]]
    assert not different, f"backfill and day-by-day runs differ in {different}"


def test_backfill_command_submits_an_asset_backfill_to_the_instance(tmp_path: Path, monkeypatch) -> None:
    project = project_on(tmp_path, tmp_path / "shop.sqlite")
    monkeypatch.setenv("STRATAFLOW_CONFIGS", str(project.configs_dir))
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
        out = CliRunner().invoke(
            main, ["backfill", "--env", "test", "--table", "orders", "--from", "2025-01-02", "--to", "2025-01-04"]
        )
        assert out.exit_code == 0, out.output
        (backfill,) = instance.get_backfills()
        assert backfill.is_asset_backfill and backfill.backfill_id in out.output
        targets = backfill.asset_backfill_data.target_subset
        orders = [k for k in targets.asset_keys if k.path[-1] == "orders"]
        assert {k.path[0] for k in orders} == {"raw", "src"}
        for key in orders:
            assert sorted(targets.get_partitions_subset(key).get_partition_keys()) == [
                "2025-01-02",
                "2025-01-03",
                "2025-01-04",
            ]
        assert any(k.path[0] == "mrt" for k in targets.asset_keys)  # dbt downstream, the marts once


def test_backfill_command_sets_up_a_fresh_instance(tmp_path: Path, monkeypatch) -> None:
    """A DAGSTER_HOME `strataflow run` never saw gets strataflow's dagster.yaml (run monitoring, queue,
    DuckDB pool) from the backfill command too: the daemon running the backfill then fails dead runs."""
    project = project_on(tmp_path, tmp_path / "shop.sqlite")
    monkeypatch.setenv("STRATAFLOW_CONFIGS", str(project.configs_dir))
    home = tmp_path / "fresh-dagster-home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    out = CliRunner().invoke(
        main, ["backfill", "--env", "test", "--table", "orders", "--from", "2025-01-02", "--to", "2025-01-02"]
    )
    assert out.exit_code == 0, out.output
    with DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert len(instance.get_backfills()) == 1


def test_backfill_rejects_an_unknown_table(tmp_path: Path) -> None:
    project = project_on(tmp_path, tmp_path / "shop.sqlite")
    with pytest.raises(BackfillError, match="Fix: use one of"):
        choose_tables(project, "shop", "nope")
