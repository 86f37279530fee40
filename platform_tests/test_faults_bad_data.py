"""Bad source data on a real MariaDB: NULL keys, zero dates, column names that are no safe identifiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import MYSQL, mysql_connect, mysql_url
from strataflow.config import ConfigError, TableRef, load_project
from strataflow.config.expectations import default_suite
from strataflow.config.models import TableConfig
from strataflow.extract import MySQLReader
from strataflow.extract.mysql import ZeroDateError
from strataflow.lake import LakeStorage, read_committed, read_manifest
from strataflow.pipeline import build_src_partition, extract_partition, standardize_validate_load
from strataflow.transform import NullKeyError
from strataflow.validation import check_sources
from strataflow.warehouse import DuckDBWarehouse

DAY = "2025-01-01"


def ref(name: str, **cfg: Any) -> TableRef:
    cfg.setdefault("load_type", "full")
    config = TableConfig(name=name, partitioning={"start": DAY}, **cfg)
    return TableRef("src1", config, Path("sources/src1.yaml"), 0)


def run_sql(database: str, *statements: str, sql_mode: str | None = None) -> None:
    with mysql_connect(database) as conn, conn.cursor() as cur:
        if sql_mode is not None:
            cur.execute("SET SESSION sql_mode = %s", (sql_mode,))
        for statement in statements:
            cur.execute(statement)
        conn.commit()


# ---------------------------------------------------------------- NULL in a primary-key column


def test_a_null_primary_key_is_rejected_with_table_key_and_count(mysql_db: str, tmp_path: Path) -> None:
    run_sql(
        mysql_db,
        "CREATE TABLE items (id INT NULL, line INT NULL, v VARCHAR(10))",
        "INSERT INTO items VALUES (1, 1, 'a'), (NULL, 1, 'b'), (NULL, 1, 'c'), (2, NULL, 'd'), (3, 1, 'e')",
    )
    storage = LakeStorage.local(tmp_path / "lake")
    table = ref("items", primary_key=["id", "line"])
    assert extract_partition(MySQLReader(mysql_url(mysql_db)), storage, table, DAY).rows == 5  # RAW: as extracted
    with pytest.raises(NullKeyError) as caught:
        build_src_partition(storage, table, DAY, pii_salt=None)
    message = str(caught.value)
    assert "src1.items" in message and "3 row(s)" in message and "id, line" in message
    # nothing reached SRC: the two NULL-id rows were not merged into one
    assert read_manifest(storage, f"src/src1/items/ingestion_date={DAY}") is None

    # Through the quality gate (default suite: key not null): the batch is rejected with the count, each
    # NULL-key row kept as it is (not merged), and neither SRC nor the warehouse changes.
    with DuckDBWarehouse(str(tmp_path / "wh.duckdb")) as warehouse:
        outcome = standardize_validate_load(
            storage, warehouse, table, default_suite(["id", "line"]), DAY, pii_salt=None
        )
    assert not outcome.passed and outcome.commit is None and outcome.loaded is None
    failed = [r for r in outcome.report.results if not r.success]
    assert ("not_null(id, line)", 3) in [(r.name, r.unexpected_count) for r in failed]
    assert outcome.standardized.data.num_rows == 5
    assert read_manifest(storage, f"src/src1/items/ingestion_date={DAY}") is None


def test_a_null_key_outside_the_window_is_never_taken_for_a_hard_delete(mysql_db: str, tmp_path: Path) -> None:
    """Key snapshots hold the whole table: a NULL key never matches in the comparison, so it must not
    come out as a 'D' row with a NULL key every day."""
    run_sql(
        mysql_db,
        "CREATE TABLE items (id INT NULL, updated_at DATETIME NOT NULL)",
        "INSERT INTO items VALUES (1, '2025-01-01 10:00:00'), (NULL, '2024-06-01 00:00:00'),"
        " (2, '2025-01-02 10:00:00')",
    )
    storage = LakeStorage.local(tmp_path / "lake")
    table = ref("items", load_type="cdc", primary_key=["id"], watermark="updated_at", detect_hard_deletes=True)
    for day in ("2025-01-01", "2025-01-02"):
        extract_partition(MySQLReader(mysql_url(mysql_db)), storage, table, day)
    std, _ = build_src_partition(storage, table, "2025-01-02", pii_salt=None)
    assert std.data.select(["id", "_op"]).to_pylist() == [{"id": 2, "_op": "U"}]


# ---------------------------------------------------------------- zero dates


@pytest.fixture
def zero_dates_db(mysql_db: str) -> str:
    run_sql(
        mysql_db,
        "CREATE TABLE events (id INT PRIMARY KEY, happened DATE, logged DATETIME)",
        "INSERT INTO events VALUES (1, '2024-05-01', '2024-05-01 10:00:00'), (2, '0000-00-00', '2024-05-02 11:00:00'),"
        " (3, '2024-00-15', '0000-00-00 00:00:00'), (4, NULL, NULL)",
        sql_mode="",  # non-strict: MySQL then accepts zero dates
    )
    return mysql_db


def test_a_zero_date_fails_naming_table_column_and_a_key(zero_dates_db: str, tmp_path: Path) -> None:
    reader = MySQLReader(mysql_url(zero_dates_db))
    with pytest.raises(ZeroDateError) as caught:
        extract_partition(reader, LakeStorage.local(tmp_path), ref("events", primary_key=["id"]), DAY)
    message = str(caught.value)
    assert "'events'" in message and "'happened'" in message and "id=2" in message
    assert "zero_dates: null" in message


def test_zero_dates_read_as_null_when_the_column_says_so(zero_dates_db: str, tmp_path: Path) -> None:
    columns = yaml.safe_load("{happened: {zero_dates: null}, logged: {zero_dates: null}}")
    table = ref("events", primary_key=["id"], columns=columns)
    storage = LakeStorage.local(tmp_path)
    extract_partition(MySQLReader(mysql_url(zero_dates_db)), storage, table, DAY)
    _, data = read_committed(storage, f"raw/src1/events/ingestion_date={DAY}")
    rows = {r["id"]: r for r in data.to_pylist()}
    assert str(rows[1]["happened"]) == "2024-05-01" and str(rows[1]["logged"]) == "2024-05-01 10:00:00"
    assert rows[2]["happened"] is None and rows[2]["logged"] is not None
    assert rows[3]["happened"] is None and rows[3]["logged"] is None  # '2024-00-15' is no date either
    assert rows[4]["happened"] is None


@pytest.fixture
def windowed_zero_dates_db(mysql_db: str) -> str:
    """Zero dates in two partitions' windows: `logged` on 2025-01-01 (id 1), `happened` on 2024-06-01
    (id 2, another partition, and the earlier column); 2025-01-02 (id 3) has none."""
    run_sql(
        mysql_db,
        "CREATE TABLE events (id INT PRIMARY KEY, happened DATE, logged DATETIME, updated_at DATETIME NOT NULL)",
        "INSERT INTO events VALUES (1, '2024-12-31', '0000-00-00 00:00:00', '2025-01-01 10:00:00'),"
        " (2, '0000-00-00', '2024-06-01 08:00:00', '2024-06-01 09:00:00'),"
        " (3, '2025-01-02', '2025-01-02 07:00:00', '2025-01-02 11:00:00')",
        sql_mode="",
    )
    return mysql_db


def test_the_zero_date_probe_looks_only_at_the_partitions_window(windowed_zero_dates_db: str, tmp_path: Path) -> None:
    """The probe that names the zero date filters like the extract: it names the column and key of this
    partition (it used to scan the whole table and blame `happened` at id=2, another partition's row),
    and a partition whose window holds no zero date extracts."""
    reader = MySQLReader(mysql_url(windowed_zero_dates_db))
    table = ref("events", load_type="incremental", primary_key=["id"], watermark="updated_at")
    storage = LakeStorage.local(tmp_path)
    with pytest.raises(ZeroDateError) as caught:
        extract_partition(reader, storage, table, "2025-01-01")
    message = str(caught.value)
    assert "'logged'" in message and "id=1" in message, message
    assert extract_partition(reader, storage, table, "2025-01-02").rows == 1


# ---------------------------------------------------------------- unsafe source column names


@pytest.fixture
def odd_names_db(mysql_db: str) -> str:
    run_sql(
        mysql_db,
        "CREATE TABLE products (id INT PRIMARY KEY, `Unit Price` DECIMAL(8,2), `note-``x` VARCHAR(10))",
        "INSERT INTO products VALUES (1, 9.50, 'a'), (2, 3.25, 'b')",
    )
    return mysql_db


def write_project(tmp_path: Path, database: str, table: dict[str, Any]) -> Path:
    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    platform = {
        "default_environment": "test",
        "environments": {
            "test": {
                "sources": {
                    "src1": {
                        "kind": "mysql",
                        "host": MYSQL["host"],
                        "port": MYSQL["port"],
                        "user": MYSQL["user"],
                        "password": "${TEST_MYSQL_PASSWORD:-}",
                        "database": database,
                    }
                },
                "lake": {"kind": "local", "path": str(tmp_path / "lake")},
                "warehouse": {"kind": "duckdb", "path": str(tmp_path / "wh.duckdb")},
            }
        },
    }
    (configs / "platform.yaml").write_text(yaml.safe_dump(platform))
    registry = {"tables": [{"partitioning": {"start": DAY}, "load_type": "full", **table}]}
    (configs / "sources" / "src1.yaml").write_text(yaml.safe_dump(registry))
    return configs


def test_validate_reports_unsafe_source_column_names(odd_names_db: str, tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, odd_names_db, {"name": "products", "primary_key": ["id"]}))
    problems = [str(p) for p in check_sources(project)]
    assert len(problems) == 2
    assert all("src1.yaml: tables[0].columns" in p and "src1.products" in p for p in problems)
    assert "'Unit Price'" in problems[0] and "rename" in problems[0] and "exclude: true" in problems[0]


def test_an_unsafe_column_fails_the_extract_naming_the_table(odd_names_db: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"source column 'Unit Price' of src1\.products is not a safe identifier"):
        extract_partition(
            MySQLReader(mysql_url(odd_names_db)), LakeStorage.local(tmp_path), ref("products", primary_key=["id"]), DAY
        )


def test_unsafe_columns_can_be_renamed_or_excluded(odd_names_db: str, tmp_path: Path) -> None:
    entry = {
        "name": "products",
        "primary_key": ["id"],
        "columns": {"Unit Price": {"rename": "unit_price", "type": "decimal(8,2)"}, "note-`x": {"exclude": True}},
    }
    project = load_project(write_project(tmp_path, odd_names_db, entry))
    assert check_sources(project) == []
    table = project.tables()[0]
    storage = LakeStorage.local(tmp_path / "lake")
    extract_partition(MySQLReader(mysql_url(odd_names_db)), storage, table, DAY)
    src, _ = build_src_partition(storage, table, DAY, pii_salt=None)
    assert src.data.column_names[:2] == ["id", "unit_price"]
    assert "note_x" not in src.data.column_names
    assert [str(v) for v in src.data.column("unit_price").to_pylist()] == ["9.50", "3.25"]


def test_an_unsafe_name_in_the_registry_must_be_renamed_or_excluded(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="give it `rename: <plain_name>` or `exclude: true`"):
        TableConfig(name="t", load_type="full", partitioning={"start": DAY}, columns={"Unit Price": {"type": "string"}})
    with pytest.raises(ValueError, match=r"excluded .* but used as primary_key"):
        TableConfig(
            name="t",
            load_type="full",
            primary_key=["id"],
            partitioning={"start": DAY},
            columns={"id": {"exclude": True}},
        )
