"""Warehouse faults with real processes: a DuckDB file another process holds, a loader killed mid-load
(DuckDB and PostgreSQL). The committed rows stay readable and the next load converges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from fault_workers import finish, spawn, succeed, wait_until_exists, warehouse_load
from strataflow.warehouse import DuckDBWarehouse, WarehouseLockTimeoutError

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"


def duck_rows(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("SELECT _partition, count(*) FROM src.shop__orders GROUP BY 1").fetchall())


def test_two_processes_loading_two_partitions_into_duckdb_both_succeed(tmp_path: Path) -> None:
    """The first loader holds the file for a while; the second waits for the lock instead of failing."""
    path, opened = tmp_path / "wh.duckdb", tmp_path / "first-opened"
    job = {"job": "warehouse_load", "path": str(path), "count": 100}
    first = spawn(job | {"partition": "2025-01-01", "first": 0, "announce": str(opened), "hold_s": 1.5})
    wait_until_exists(opened, first)
    warehouse_load(job | {"partition": "2025-01-02", "first": 1000})  # this process: waits, then loads
    succeed(first)
    assert duck_rows(path) == {"2025-01-01": 100, "2025-01-02": 100}


def test_a_duckdb_lock_held_too_long_fails_with_a_clear_message(tmp_path: Path) -> None:
    path, opened = tmp_path / "wh.duckdb", tmp_path / "holder-opened"
    holder = spawn(
        {"job": "warehouse_load", "path": str(path), "count": 10, "partition": "2025-01-01", "first": 0}
        | {"announce": str(opened), "hold_s": 1.5}
    )
    wait_until_exists(opened, holder)
    started = time.monotonic()
    with pytest.raises(WarehouseLockTimeoutError) as caught:
        DuckDBWarehouse(str(path), lock_timeout_s=0.5)
    assert 0.5 <= time.monotonic() - started < 3
    message = str(caught.value)
    assert str(path) in message and f"PID {holder.pid}" in message and "warehouse.lock_timeout_s" in message
    succeed(holder)


@pytest.fixture
def pg_conninfo() -> Iterator[str]:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    name = f"sf_faults_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pg_rows(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as conn:
        return dict(conn.execute("SELECT _partition, count(*) FROM src.shop__orders GROUP BY 1").fetchall())


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_a_loader_killed_mid_load_leaves_the_previous_rows(target: str, tmp_path: Path, request: Any) -> None:
    if target == "duckdb":
        where: dict[str, str] = {"path": str(tmp_path / "wh.duckdb")}
        rows = lambda: duck_rows(tmp_path / "wh.duckdb")  # noqa: E731
    else:
        where = {"conninfo": request.getfixturevalue("pg_conninfo")}
        rows = lambda: pg_rows(where["conninfo"])  # noqa: E731
    job = {"job": "warehouse_load", **where, "partition": "2025-01-01", "first": 0}
    warehouse_load(job | {"count": 50})
    assert rows() == {"2025-01-01": 50}

    started = tmp_path / "mid-load"
    slow_load = {"count": 100, "batches": 50, "batch_sleep": 0.2, "announce": str(started), "announce_mid_load": True}
    victim = spawn(job | slow_load)
    wait_until_exists(started, victim)
    time.sleep(0.3)  # rows of the new load are in flight inside the open transaction
    os.kill(victim.pid, signal.SIGKILL)
    assert finish(victim).returncode == -signal.SIGKILL

    assert rows() == {"2025-01-01": 50}  # the previous committed state, readable
    warehouse_load(job | {"count": 70})  # the next run converges to exactly its rows
    assert rows() == {"2025-01-01": 70}


def test_two_processes_loading_one_postgres_partition_at_once_keep_one_loads_rows(
    pg_conninfo: str, tmp_path: Path
) -> None:
    """Under read committed both DELETEs see nothing of the other load and both INSERTs survive (150 rows of
    two loads); the per-partition advisory lock makes the second load wait and replace the first."""
    job = {"job": "warehouse_load", "conninfo": pg_conninfo, "partition": "2025-01-01"}
    warehouse_load(job | {"first": 0, "count": 50})
    mid_load = tmp_path / "a-mid-load"
    a = spawn(
        job
        | {"first": 1000, "count": 100, "batches": 3, "batch_sleep": 0.5}
        | {"announce": str(mid_load), "announce_mid_load": True}
    )
    wait_until_exists(mid_load, a)
    time.sleep(0.3)  # A has deleted the old rows and streams its own inside its open transaction
    b = spawn(job | {"first": 5000, "count": 50})
    succeed(a)
    succeed(b)
    assert pg_rows(pg_conninfo) == {"2025-01-01": 50}
    with psycopg.connect(pg_conninfo) as conn:
        ids = conn.execute("SELECT min(id), max(id) FROM src.shop__orders").fetchone()
    assert ids == (5000, 5049)  # exactly the later load's rows


def test_concurrent_first_audit_appends_on_postgres_all_succeed(pg_conninfo: str, tmp_path: Path) -> None:
    """Four processes create audit.<table> at once on a fresh database: without the DDL lock, CREATE SCHEMA /
    CREATE TABLE race and fail with UniqueViolation on pg_namespace / pg_type."""
    go = tmp_path / "go"
    workers = []
    for n in range(4):
        ready = tmp_path / f"ready-{n}"
        job = {"job": "audit_append", "conninfo": pg_conninfo, "table": "quality_checks", "worker": n}
        workers.append((spawn(job | {"announce": str(ready), "wait_for": str(go)}), ready))
    for proc, ready in workers:
        wait_until_exists(ready, proc)
    go.touch()
    for proc, _ in workers:
        succeed(proc)
    with psycopg.connect(pg_conninfo) as conn:
        got = conn.execute("SELECT worker FROM audit.quality_checks ORDER BY worker").fetchall()
    assert got == [(0,), (1,), (2,), (3,)]


def test_dbt_waits_for_a_loader_holding_the_duckdb_file(tmp_path: Path) -> None:
    """dbt-duckdb opens the file itself and failed at once on the lock; the profile's `retries` makes it wait."""
    path, opened = tmp_path / "wh.duckdb", tmp_path / "holder-opened"
    holder = spawn(
        {"job": "warehouse_load", "path": str(path), "count": 10, "partition": "2025-01-01", "first": 0}
        | {"announce": str(opened), "hold_s": 6}  # longer than dbt takes to start (~3 s)
    )
    wait_until_exists(opened, holder)
    dbt_dir = Path(__file__).resolve().parents[1] / "dbt"
    env = os.environ | {"STRATAFLOW_DBT_TARGET": "duckdb", "STRATAFLOW_DUCKDB_PATH": str(path)}
    env |= {"DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_USE_COLORS": "0"}
    started = time.monotonic()
    debug = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "debug", "--connection", "--profiles-dir", str(dbt_dir)],
        cwd=dbt_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert debug.returncode == 0, debug.stdout[-3000:]
    assert "Connection test: [OK" in debug.stdout
    assert time.monotonic() - started >= 5  # it waited for the holder
    succeed(holder)


def test_metrics_wait_for_a_loader_holding_the_duckdb_file_and_only_read(tmp_path: Path) -> None:
    """`strataflow metrics` opened the file read-write with no wait: it failed while a load ran."""
    import yaml

    from strataflow.config import load_project
    from strataflow.metrics_commands import warehouse_connection

    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    env = {
        "sources": {"src1": {"kind": "sqlite", "path": str(tmp_path / "src.sqlite")}},
        "lake": {"kind": "local", "path": str(tmp_path / "lake")},
        "warehouse": {"kind": "duckdb", "path": str(tmp_path / "wh.duckdb"), "lock_timeout_s": 60},
    }
    (configs / "platform.yaml").write_text(yaml.safe_dump({"default_environment": "t", "environments": {"t": env}}))
    (configs / "sources" / "src1.yaml").write_text(yaml.safe_dump({"tables": []}))
    project = load_project(configs)

    opened = tmp_path / "holder-opened"
    holder = spawn(
        {"job": "warehouse_load", "path": str(tmp_path / "wh.duckdb"), "count": 10, "partition": "2025-01-01"}
        | {"first": 0, "announce": str(opened), "hold_s": 1.5}
    )
    wait_until_exists(opened, holder)
    started = time.monotonic()
    with warehouse_connection(project) as (conn, engine):
        assert engine == "duckdb" and time.monotonic() - started >= 0.5  # it waited for the loader
        assert conn.execute("SELECT count(*) FROM src.shop__orders").fetchone() == (10,)
        with pytest.raises(duckdb.Error, match="read-only"):
            conn.execute("CREATE TABLE x (i INT)")
    succeed(holder)
