"""Late data on real parts: a MariaDB source, the local lake, a DuckDB warehouse and a real Dagster
instance. A back-dated update and a back-dated delete are detected by the late-data sensor, which requests
exactly the affected partitions (RAW, SRC and downstream); after those runs the warehouse's current state
equals the source's, and the next evaluation requests nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import (
    BetaWarning,
    DagsterInstance,
    Definitions,
    SensorResult,
    asset,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from conftest import MYSQL, mysql_connect
from strataflow.config import load_project
from strataflow.defs.lake_assets import build_raw_asset, build_src_asset, src_key
from strataflow.defs.late_data_sensor import REASON_TAG, build_late_data_sensors
from strataflow.defs.partitions import partitions_for
from strataflow.defs.resources import StrataflowResource
from strataflow.extract.fingerprint import fingerprint_sql, source_windows

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as inst:
        yield inst


def _project_files(tmp_path: Path, database: str) -> Path:
    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    env = {
        "sources": {
            "shop": {
                "kind": "mysql",
                "host": MYSQL["host"],
                "port": MYSQL["port"],
                "user": "root",
                "database": database,
            }
        },
        "lake": {"kind": "local", "path": str(tmp_path / "lake")},
        "warehouse": {"kind": "duckdb", "path": str(tmp_path / "warehouse.duckdb")},
        "alerts": {"outbox_dir": str(tmp_path / "outbox"), "sinks": []},
    }
    (configs / "platform.yaml").write_text(yaml.safe_dump({"default_environment": "t", "environments": {"t": env}}))
    registry = {
        "tables": [
            {
                "name": "orders",
                "load_type": "incremental",
                "primary_key": ["id"],
                "watermark": "updated_at",
                "partitioning": {"grain": "daily", "start": "2024-01-01"},
                "late_data_lookback": 30,
            }
        ]
    }
    (configs / "sources" / "shop.yaml").write_text(yaml.safe_dump(registry))
    return configs


def _source_rows(database: str) -> set[tuple]:
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, amount FROM orders")
        return {(int(i), float(a)) for i, a in cur.fetchall()}


def _warehouse_current_rows(path: Path) -> set[tuple]:
    """Current state: each key's latest version across the SRC partitions."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT id, amount FROM (SELECT *, row_number() OVER (PARTITION BY id ORDER BY updated_at DESC) AS rn "
            "FROM src.shop__orders) WHERE rn = 1"
        ).fetchall()
    return {(int(i), float(a)) for i, a in rows}


@pytest.mark.slow
def test_back_dated_update_and_delete_are_requested_once_and_fixed(
    tmp_path: Path, mysql_db: str, instance: DagsterInstance
) -> None:
    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE orders (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL, updated_at DATETIME(6) NOT NULL,"
            " INDEX ix_orders_updated_at (updated_at))"
        )
        rows = [
            (d * 10 + i, 10.0 * d + i, f"{day} {8 + i:02d}:00:00") for d, day in enumerate(DAYS, 1) for i in range(3)
        ]
        cur.executemany("INSERT INTO orders VALUES (%s, %s, %s)", rows)
        conn.commit()

    configs = _project_files(tmp_path, mysql_db)
    project = load_project(configs, "t")
    ref = project.table("shop", "orders")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        raw, src = build_raw_asset(ref), build_src_asset(ref)

    @asset(key=["mrt", "orders_per_day"], deps=[src_key(ref)], partitions_def=partitions_for(ref.config.partitioning))
    def orders_per_day(context) -> None:
        context.log.info("downstream of SRC")

    assets = [raw, src, orders_per_day]
    resources = {"strataflow": StrataflowResource(configs_dir=str(configs), env="t")}
    (sensor,) = build_late_data_sensors(project)
    defs = Definitions(assets=assets, sensors=[sensor], resources=resources)

    def tick(cursor: str | None) -> SensorResult:
        result = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
        return result

    for day in DAYS:
        materialize(assets, partition_key=day, instance=instance, resources=resources)
    first = tick(None)
    assert first.run_requests == [], first.skip_message
    assert _warehouse_current_rows(tmp_path / "warehouse.duckdb") == _source_rows(mysql_db)

    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        # order 31 (day 3) is updated with a watermark back-dated into day 1; order 21 (day 2) is deleted
        cur.execute("UPDATE orders SET amount = 99.5, updated_at = '2024-01-01 23:30:00' WHERE id = 31")
        cur.execute("DELETE FROM orders WHERE id = 21")
        conn.commit()

    second = tick(first.cursor)
    requested = {r.partition_key: r for r in second.run_requests}
    assert sorted(requested) == ["2024-01-01", "2024-01-02", "2024-01-03"]  # day 4 is untouched
    for request in requested.values():
        assert {k.to_user_string() for k in request.asset_selection} == {
            "raw/shop/orders",
            "src/shop/orders",
            "mrt/orders_per_day",
        }
    assert "extracted 3 rows" in requested["2024-01-02"].tags[REASON_TAG]
    assert "source now 2 rows" in requested["2024-01-02"].tags[REASON_TAG]
    assert "source now 4 rows, max watermark 2024-01-01T23:30:00+00:00" in requested["2024-01-01"].tags[REASON_TAG]
    assert tick(second.cursor).run_requests == []  # requested, not yet run: not requested again

    for request in second.run_requests:
        result = materialize(
            assets,
            selection=request.asset_selection,
            partition_key=request.partition_key,
            instance=instance,
            resources=resources,
            tags=request.tags,
        )
        assert result.success
    assert _warehouse_current_rows(tmp_path / "warehouse.duckdb") == _source_rows(mysql_db)
    assert tick(None).run_requests == []  # even without the cursor: the recorded fingerprints match again


def test_fingerprint_query_uses_the_watermark_index(mysql_db: str) -> None:
    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE t (id INT PRIMARY KEY, v TEXT, updated_at DATETIME(6), INDEX ix_t_updated (updated_at))"
        )
        cur.execute("INSERT INTO t SELECT seq, 'x', '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_20000")
        cur.execute("ANALYZE TABLE t")
        windows = source_windows(["2024-01-03", "2024-01-04", "2024-01-05"], "daily", "UTC")
        cur.execute("EXPLAIN " + fingerprint_sql("mysql", "t", "updated_at", windows))
        cols = [d[0] for d in cur.description]
        plan = dict(zip(cols, cur.fetchone(), strict=True))
    assert plan["key"] == "ix_t_updated" and plan["type"] == "range"
    assert "Using index" in plan["Extra"]  # covered by the index: the rows themselves are never read
