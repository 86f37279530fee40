"""The warehouse file opens in the DuckDB CLIs users have: it is written in the v1.4 storage format."""

from __future__ import annotations

from pathlib import Path

import duckdb

from strataflow.warehouse import DuckDBWarehouse

# DuckDB's file header: 8 bytes checksum, b"DUCK", then the storage version (u64). 67 = DuckDB 1.4.
V1_4_STORAGE = 67


def _storage_version(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return int.from_bytes(header[12:20], "little")


def test_a_new_warehouse_file_is_written_for_duckdb_1_4_and_later(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(str(path))
    warehouse.query("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    warehouse.close()
    assert _storage_version(path) == V1_4_STORAGE
    # Reopened by a newer DuckDB (as dbt-duckdb does), it keeps that format.
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE u AS SELECT 1 AS y")
    con.execute("CHECKPOINT")
    con.close()
    assert _storage_version(path) == V1_4_STORAGE
