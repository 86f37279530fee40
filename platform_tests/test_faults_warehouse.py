"""Warehouse faults with real processes: a DuckDB file another process holds, a loader killed mid-load
(DuckDB and PostgreSQL). The committed rows stay readable and the next load converges."""

from __future__ import annotations

import os
import signal
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
