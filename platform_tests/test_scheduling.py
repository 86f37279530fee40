"""Scheduling and automation wiring of the real code location: the daily schedule asks for the previous day,
dbt assets are automated (eager, gated by upstream blocking checks), DuckDB writers share one pool."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import AssetKey, Definitions, build_schedule_context

from strataflow.config.models import DuckDBWarehouseConfig, PostgresWarehouseConfig
from strataflow.definitions import build_definitions
from strataflow.defs.automation import warehouse_pool
from strataflow.defs.jobs import MAIN_JOB
from strataflow.instance import DUCKDB_POOL


@pytest.fixture(scope="module")
def defs() -> Definitions:
    return build_definitions()


def test_daily_schedule_materializes_the_previous_day(defs: Definitions) -> None:
    schedule = defs.resolve_schedule_def(f"{MAIN_JOB}_schedule")
    tick = schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=datetime(2025, 3, 5, 0, 10, tzinfo=UTC))
    )
    assert [r.partition_key for r in tick.run_requests] == ["2025-03-04"]


def test_duckdb_writers_share_one_pool_and_dbt_is_automated_behind_blocking_checks(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    pools = {  # executable assets only: the source tables are external
        k.to_user_string(): graph.get(k).assets_def.op.pools
        for k in graph.get_all_asset_keys()
        if graph.get(k).is_executable
    }
    assert pools["raw/shop/orders"] == set()  # the lake only: no warehouse lock needed
    assert pools["src/shop/orders"] == {DUCKDB_POOL}
    dbt_keys = [k for k in graph.get_all_asset_keys() if k.path[0] in ("vlt", "ana", "mrt")]
    assert dbt_keys and all(pools[k.to_user_string()] == {DUCKDB_POOL} for k in dbt_keys)
    condition = graph.get(dbt_keys[0]).automation_condition
    assert condition is not None and "blocking checks" in (condition.get_label() or "")
    assert graph.get(AssetKey(["src", "shop", "orders"])).automation_condition is None
    assert {s.name for s in defs.sensors} >= {"strataflow_alerts", "strataflow_automation"}


def test_only_duckdb_is_limited_to_one_writer() -> None:
    assert warehouse_pool(DuckDBWarehouseConfig(kind="duckdb", path="x.duckdb")) == DUCKDB_POOL
    assert warehouse_pool(PostgresWarehouseConfig(kind="postgres", host="h", user="u", database="d")) is None
