"""The quality engine on a real MariaDB table, a local lake and DuckDB: schema contracts (freeze fails
before anything is written on an added, dropped or retyped column; evolve carries a new column to the
warehouse and audits it), reconciliation (duplicates dropped, cdc hard deletes, full snapshots; fails with
the numbers, also as the Dagster check result), freshness, suite config errors."""

from __future__ import annotations

import contextlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from dagster import AssetCheckSeverity, AssetKey

from conftest import mysql_connect, mysql_url
from pipeline_helpers import make_project, mysql_source_config
from strataflow.config import ConfigError, Project, TableRef, load_project
from strataflow.config.expectations import load_suite
from strataflow.config.models import TableConfig
from strataflow.connections import open_storage, open_warehouse, pii_salt
from strataflow.defs.quality import reconciliation_check_result
from strataflow.extract import MySQLReader
from strataflow.lake import LakeStorage, partition_prefix, read_manifest
from strataflow.pipeline import extract_partition, reconcile_partition, standardize_validate_load
from strataflow.quality.contracts import SchemaContractError, baseline_key
from strataflow.quality.freshness import freshness
from strataflow.validation import check_sources
from strataflow.warehouse import DuckDBWarehouse

DAY = "2025-01-01"


def ref_for(contract: str, **extra) -> TableRef:
    cfg = TableConfig.model_validate(
        {
            "name": "items",
            "load_type": "incremental",
            "primary_key": ["id"],
            "watermark": "updated_at",
            "partitioning": {"grain": "daily", "start": DAY},
            "schema_contract": contract,
            **extra,
        }
    )
    return TableRef("shop", cfg, Path("configs/sources/shop.yaml"), 0)


@pytest.fixture
def parts(mysql_db: str, tmp_path: Path):
    with contextlib.closing(mysql_connect(mysql_db)) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE items (id INT PRIMARY KEY, amount DECIMAL(12,2), updated_at DATETIME(6) NOT NULL)")
        cur.executemany(
            "INSERT INTO items VALUES (%s, %s, %s)", [(i, i * 1.5, f"{DAY} 0{i % 9}:00:00") for i in range(1, 31)]
        )
        conn.commit()
    storage = LakeStorage.local(tmp_path / "lake")
    with DuckDBWarehouse(str(tmp_path / "wh.duckdb")) as warehouse:
        yield MySQLReader(mysql_url(mysql_db)), storage, warehouse, mysql_db


def add_column(db: str) -> None:
    with contextlib.closing(mysql_connect(db)) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE items ADD COLUMN color VARCHAR(10) NULL")
        cur.execute("UPDATE items SET color = 'red' WHERE id = 3")
        conn.commit()


def alter(db: str, *statements: str) -> None:
    with contextlib.closing(mysql_connect(db)) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        conn.commit()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("ADD COLUMN color VARCHAR(10) NULL", r"column 'color' added"),
        ("DROP COLUMN amount", r"column 'amount' dropped \(decimal128\(12, 2\)\)"),
        ("MODIFY amount VARCHAR(20)", r"column 'amount' type changed from decimal128\(12, 2\) to string"),
    ],
)
def test_frozen_table_fails_on_any_schema_change_before_writing(parts, change: str, message: str) -> None:
    reader, storage, _wh, db = parts
    ref = ref_for("freeze")
    first = extract_partition(reader, storage, ref, DAY)
    baseline = storage.read_bytes(baseline_key(ref))
    # The rows change too: an extract that wrote would commit a new manifest.
    alter(db, f"ALTER TABLE items {change}", "UPDATE items SET updated_at = updated_at + INTERVAL 1 SECOND")
    with pytest.raises(SchemaContractError, match=message + r".*Nothing was written"):
        extract_partition(reader, storage, ref, DAY)
    assert read_manifest(storage, partition_prefix("raw", "shop", "items", DAY)) == first.commit.manifest
    assert storage.read_bytes(baseline_key(ref)) == baseline  # the contract itself did not move


def test_evolving_table_carries_a_new_column_to_the_warehouse(parts) -> None:
    reader, storage, wh, db = parts
    ref = ref_for("evolve")
    suite = load_suite_text("expectations:\n  - not_null: [id]\n  - columns_match: true\n  - types_match: true\n")
    audit = lambda: contextlib.nullcontext(wh)  # noqa: E731 - the warehouse the test holds open
    extract_partition(reader, storage, ref, DAY, audit=audit, run_id="r1")
    assert standardize_validate_load(storage, wh, ref, suite, DAY, pii_salt=None).passed
    assert wh.query("select count(*) from audit.check_results where check_name = 'schema_contract'") == [(0,)]
    add_column(db)
    result = extract_partition(reader, storage, ref, DAY, audit=audit, run_id="r2")
    assert [(c.column, c.change) for c in result.schema_changes] == [("color", "added")]
    recorded = wh.query(
        "select asset, partition, expectation, severity, success, run_id, details from audit.check_results "
        "where check_name = 'schema_contract'"
    )
    assert [r[:6] for r in recorded] == [("raw/shop/items", DAY, "added(color)", "warn", True, "r2")]
    assert json.loads(recorded[0][6]) == {"column": "color", "change": "added", "before": None, "after": "string"}
    outcome = standardize_validate_load(storage, wh, ref, suite, DAY, pii_salt=None, run_id="r2")
    assert outcome.passed, outcome.report.summary()
    assert wh.query("select color from src.shop__items where id = 3") == [("red",)]


def test_reconciliation_passes_then_fails_with_the_numbers(parts) -> None:
    reader, storage, wh, _db = parts
    ref = ref_for("evolve")
    extract_partition(reader, storage, ref, DAY)
    suite = load_suite_text("expectations:\n  - unique: [id]\n")
    assert standardize_validate_load(storage, wh, ref, suite, DAY, pii_salt=None).passed
    clean = reconcile_partition(reader, storage, wh, ref, DAY)
    assert clean.passed and (clean.source, clean.raw, clean.src, clean.warehouse) == (30, 30, 30, 30)

    prefix = partition_prefix("src", "shop", "items", DAY)
    manifest = read_manifest(storage, prefix)
    path = Path(storage.uri(f"{prefix}/{manifest.files[0].name}"))
    table = pq.read_table(path)
    pq.write_table(table.slice(1), path)  # a row removed from a committed file
    broken = reconcile_partition(reader, storage, wh, ref, DAY)
    assert not broken.passed
    assert (broken.source, broken.raw, broken.src, broken.warehouse) == (30, 30, 29, 30)
    text = broken.summary()
    assert "SRC files hold 29 rows but the manifest committed 30" in text
    assert "SRC has 29 rows, expected 30 = RAW 30 - 0 + 0" in text
    assert "warehouse has 30 rows, SRC 29 (difference 1)" in text


def test_reconciliation_check_in_dagster_fails_with_every_number(parts) -> None:
    """The SRC asset's `reconciliation` check result: failed, severity error, every figure as metadata."""
    reader, storage, wh, _db = parts
    ref = ref_for("evolve")
    extract_partition(reader, storage, ref, DAY)
    assert standardize_validate_load(storage, wh, ref, load_suite_text("expectations: []\n"), DAY, pii_salt=None).passed
    assert wh.query("delete from src.shop__items where id <= 2") == [(2,)]  # the warehouse lost two rows
    result = reconciliation_check_result(
        AssetKey(["src", "shop", "items"]), reconcile_partition(reader, storage, wh, ref, DAY)
    )
    assert not result.passed and result.severity == AssetCheckSeverity.ERROR
    figures = {k: v.value for k, v in result.metadata.items()}
    assert figures == {
        "source": 30,
        "raw": 30,
        "src": 30,
        "warehouse": 28,
        "duplicates_dropped": 0,
        "hard_deletes": 0,
        "problems": ["warehouse has 28 rows, SRC 30 (difference -2)"],
    }
    assert result.description == (
        "source 30, RAW 30, SRC 30 (= RAW - 0 duplicates + 0 hard deletes), warehouse 28: "
        "warehouse has 28 rows, SRC 30 (difference -2)"
    )


def test_reconciliation_accounts_for_duplicates_dropped(parts) -> None:
    """Two versions of a key in one window: RAW has both, SRC and the warehouse the latest only."""
    reader, storage, wh, db = parts
    alter(
        db,
        "ALTER TABLE items DROP PRIMARY KEY",  # a source without the constraint: one key twice in the window
        f"INSERT INTO items VALUES (3, 99, '{DAY} 12:00:00'), (7, 98, '{DAY} 13:00:00'), (7, 97, '{DAY} 14:00:00')",
    )
    ref = ref_for("evolve")
    extract_partition(reader, storage, ref, DAY)
    outcome = standardize_validate_load(storage, wh, ref, load_suite_text("expectations: []\n"), DAY, pii_salt=None)
    assert outcome.standardized.duplicates_dropped == 3
    result = reconcile_partition(reader, storage, wh, ref, DAY)
    assert result.passed, result.summary()
    assert (result.source, result.raw, result.duplicates_dropped, result.src, result.warehouse) == (33, 33, 3, 30, 30)
    assert wh.query("select amount from src.shop__items where id = 7") == [(Decimal("97.00"),)]  # the latest


def test_reconciliation_accounts_for_hard_deletes_of_a_cdc_table(parts) -> None:
    """Keys gone from the source between two days come in as 'D' rows: SRC = RAW + hard deletes."""
    reader, storage, wh, db = parts
    ref = ref_for("evolve", load_type="cdc", detect_hard_deletes=True)
    suite = load_suite_text("expectations: []\n")
    extract_partition(reader, storage, ref, DAY)
    assert standardize_validate_load(storage, wh, ref, suite, DAY, pii_salt=None).passed
    day2 = "2025-01-02"
    alter(
        db, "DELETE FROM items WHERE id IN (4, 5)", "UPDATE items SET updated_at = '2025-01-02 10:00:00' WHERE id = 6"
    )
    extract_partition(reader, storage, ref, day2)
    outcome = standardize_validate_load(storage, wh, ref, suite, day2, pii_salt=None)
    assert outcome.standardized.hard_deletes == 2
    result = reconcile_partition(reader, storage, wh, ref, day2)
    assert result.passed, result.summary()
    assert (result.source, result.raw, result.hard_deletes, result.src, result.warehouse) == (1, 1, 2, 3, 3)
    ops = wh.query(f"select id, _op from src.shop__items where _partition = '{day2}' order by id")
    assert ops == [(4, "D"), (5, "D"), (6, "U")]


def test_reconciliation_of_a_full_snapshot_counts_the_whole_table(parts) -> None:
    """A full table: source = the whole table, and the warehouse table (replaced each day) = SRC."""
    reader, storage, wh, db = parts
    ref = ref_for("evolve", load_type="full", primary_key=[], watermark=None)
    suite = load_suite_text("expectations: []\n")
    extract_partition(reader, storage, ref, DAY)
    assert standardize_validate_load(storage, wh, ref, suite, DAY, pii_salt=None).passed
    first = reconcile_partition(reader, storage, wh, ref, DAY)
    assert first.passed and (first.source, first.raw, first.src, first.warehouse) == (30, 30, 30, 30)
    day2 = "2025-01-02"
    alter(db, "DELETE FROM items WHERE id <= 3", "INSERT INTO items VALUES (31, 1, '2024-06-01 00:00:00')")
    extract_partition(reader, storage, ref, day2)
    assert standardize_validate_load(storage, wh, ref, suite, day2, pii_salt=None).passed
    second = reconcile_partition(reader, storage, wh, ref, day2)
    assert second.passed, second.summary()
    assert (second.source, second.raw, second.src, second.warehouse) == (28, 28, 28, 28)
    assert wh.query("select count(*) from src.shop__items") == [(28,)]  # replaced, not appended


def test_freshness_of_the_newest_committed_partition(parts) -> None:
    reader, storage, wh, _db = parts
    ref = ref_for("evolve", freshness={"max_lag": "26h"})
    assert freshness(storage, "shop", ref.config).summary() == "no committed partition yet"
    extract_partition(reader, storage, ref, DAY)
    standardize_validate_load(storage, wh, ref, load_suite_text("expectations: []\n"), DAY, pii_salt=None)
    end = datetime(2025, 1, 2, tzinfo=UTC)
    assert freshness(storage, "shop", ref.config, now=end + timedelta(hours=25)).passed
    late = freshness(storage, "shop", ref.config, now=end + timedelta(hours=27))
    assert not late.passed and late.newest_partition == DAY and "lags 27.0 h" in late.summary()


def widgets_project(db: str, tmp_path: Path) -> Project:
    """A project whose one table, shop.widgets, has CamelCase source columns (WidgetID, Label, UpdatedAt)
    and no suite file."""
    alter(
        db,
        "CREATE TABLE widgets (WidgetID INT PRIMARY KEY, Label VARCHAR(20), UpdatedAt DATETIME(6) NOT NULL)",
        f"INSERT INTO widgets VALUES (1, 'a', '{DAY} 01:00:00'), (2, 'b', '{DAY} 02:00:00'), "
        f"(3, NULL, '{DAY} 03:00:00')",
    )
    project = make_project(
        tmp_path,
        mysql_source_config(db),
        {"kind": "local", "path": str(tmp_path / "lake")},
        {"kind": "duckdb", "path": str(tmp_path / "wh.duckdb")},
    )
    table = {"name": "widgets", "load_type": "incremental", "primary_key": ["WidgetID"], "watermark": "UpdatedAt"}
    registry = {"partitioning": {"grain": "daily", "start": DAY}}
    (project.configs_dir / "sources" / "shop.yaml").write_text(yaml.safe_dump({"tables": [{**table, **registry}]}))
    shutil.rmtree(project.configs_dir / "expectations" / "shop")
    return load_project(project.configs_dir, "test")


def test_default_suite_names_a_camel_case_key_as_src_does(mysql_db: str, tmp_path: Path) -> None:
    """No suite file, source columns WidgetID/UpdatedAt: the default suite, the gate's key and the SRC
    watermark all use the SRC names (widget_id, updated_at), so a clean partition passes and loads."""
    project = widgets_project(mysql_db, tmp_path)
    ref = project.table("shop", "widgets")

    suite = project.suite(ref)
    assert suite.file is None
    assert [(i.kind, i.columns()) for i in suite.expectations] == [
        ("not_null", ["widget_id"]),
        ("unique", ["widget_id"]),
        ("columns_match", []),
    ]
    storage = open_storage(project)
    extract_partition(MySQLReader(mysql_url(mysql_db)), storage, ref, DAY)
    with open_warehouse(project) as wh:
        outcome = standardize_validate_load(storage, wh, ref, suite, DAY, pii_salt=pii_salt(project))
        assert outcome.passed, outcome.report.summary()
        assert wh.query("select widget_id, label from src.shop__widgets order by 1") == [(1, "a"), (2, "b"), (3, None)]


def test_validate_refuses_date_format_on_a_column_the_source_types_as_datetime(mysql_db: str, tmp_path: Path) -> None:
    """`strataflow validate` (online) knows the live types: date_format on a DATETIME column is refused."""
    project = widgets_project(mysql_db, tmp_path)
    suite = project.configs_dir / "expectations" / "shop" / "widgets.yaml"
    suite.parent.mkdir(parents=True)
    suite.write_text("expectations:\n  - date_format: {column: label, format: '%Y'}\n"
                     "  - date_format: {column: updated_at, format: '%Y-%m-%d'}\n")  # fmt: skip
    project = load_project(project.configs_dir, "test")  # no registry type: loading cannot tell
    assert [str(p) for p in check_sources(project)] == [
        f"{suite}: expectations[1].date_format.column: date_format checks the text of a string column, but "
        "'updated_at' is timestamp[us, tz=UTC] in src.shop__widgets. Fix: remove the expectation (a typed date "
        "or timestamp has no format to check; use between or not_null on it), or point it at a text column"
    ]


def load_suite_text(text: str, tmp: list[Path] = []):  # noqa: B006 - one scratch file per process
    import tempfile

    path = Path(tempfile.mkstemp(suffix=".yaml")[1])
    path.write_text(text)
    return load_suite(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "expectations:\n  - not_nul: [id]\n",
            "expectations[0].not_nul: unknown expectation 'not_nul'. Fix: did you mean 'not_null'?",
        ),
        (
            "expectations:\n  - between: {column: a, min: 5, max: 1}\n",
            "expectations[0].between: min 5.0 is greater than max 1.0",
        ),
        (
            "expectations:\n  - regex: {column: a, pattern: '('}\n",
            "expectations[0].regex.pattern: pattern '(' is not a valid regular expression",
        ),
        (
            "expectations:\n  - in_set: {column: a, value: [x]}\n",
            "expectations[0].in_set.value: unknown argument 'value'. Fix: did you mean 'values'?",
        ),
        (
            "expectations:\n  - unique: [id]\n    severity: fatal\n",
            "expectations[0].severity: unknown severity 'fatal'. Fix: use error or warn",
        ),
    ],
)
def test_suite_format_errors_name_file_key_path_and_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_suite_text(text)
    assert message in str(err.value)
