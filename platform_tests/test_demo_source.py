"""The demo "shop" source: schema on both dialects, deterministic generation, day-by-day changes.

Integration tests against the real MariaDB (a throwaway database per test) and SQLite files.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql
import pytest

from strataflow.demo import (
    TABLES,
    ChangeSummary,
    connect_mysql,
    connect_sqlite,
    create_schema,
    generate,
    mysql_params,
    placeholder,
    simulate_day,
)
from strataflow.demo.dbio import insert_rows, to_datetime, to_decimal

MYSQL_URL = os.environ.get("STRATAFLOW_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/")
START = date(2025, 1, 1)
DAYS = 10
SCALE = 500
Snapshot = dict[str, dict[int, tuple[Any, ...]]]


@pytest.fixture
def mysql_conn() -> Iterator[Any]:
    """A connection to a fresh, uniquely named MariaDB database, dropped afterwards."""
    name = f"sf_demo_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = connect_mysql(MYSQL_URL, autocommit=True)
    except pymysql.err.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"MariaDB not reachable at {MYSQL_URL}: {exc}")
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn = connect_mysql(MYSQL_URL, database=name)
    try:
        yield conn
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def sqlite_conn(tmp_path: Path) -> Iterator[Any]:
    conn = connect_sqlite(tmp_path / "shop.sqlite")
    yield conn
    conn.close()


def _conn(request: pytest.FixtureRequest, dialect: str) -> Any:
    return request.getfixturevalue("mysql_conn" if dialect == "mysql" else "sqlite_conn")


def _build(conn: Any, dialect: str, scale: int = SCALE, seed: int = 7) -> dict[str, int]:
    create_schema(conn, dialect)
    return generate(conn, dialect, scale=scale, start=START, days=DAYS, seed=seed)


def _normalise(table: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Driver-independent values: Decimal for DECIMAL, datetime for DATETIME, parsed JSON."""
    out = []
    for col, value in zip(TABLES[table].columns, row, strict=True):
        if value is None:
            out.append(None)
        elif col.type.startswith("DECIMAL"):
            out.append(to_decimal(value))
        elif col.type.startswith("DATETIME"):
            out.append(to_datetime(value))
        elif col.type == "JSON":
            out.append(json.loads(value))
        else:
            out.append(value)
    return tuple(out)


def _snapshot(conn: Any, dialect: str) -> Snapshot:
    snap: Snapshot = {}
    cur = conn.cursor()
    for name, table in TABLES.items():
        cur.execute(f"SELECT {', '.join(table.column_names)} FROM {name} ORDER BY {table.primary_key}")
        snap[name] = {int(r[0]): _normalise(name, tuple(r)) for r in cur.fetchall()}
    cur.close()
    return snap


def _col(table: str, name: str) -> int:
    return TABLES[table].column_names.index(name)


def _assert_consistent_totals(snap: Snapshot) -> None:
    """Order total = sum(quantity * unit_price - discount); its live payment carries that amount."""
    sums: dict[int, Decimal] = {}
    for item in snap["order_items"].values():
        sums[item[1]] = sums.get(item[1], Decimal("0")) + item[3] * item[4] - item[5]
    live_payments: dict[int, list[Decimal]] = {}
    for pay in snap["payments"].values():
        assert pay[_col("payments", "amount")] > 0
        if pay[_col("payments", "status")] != "failed":
            live_payments.setdefault(pay[1], []).append(pay[_col("payments", "amount")])
    for order_id, order in snap["orders"].items():
        total = order[_col("orders", "total_amount")]
        assert total == sums[order_id], f"order {order_id}"
        assert live_payments[order_id] == [total], f"order {order_id}"


# --- schema -------------------------------------------------------------------------------------


def test_schema_declares_the_same_columns_and_types_on_both_dialects(mysql_conn: Any, sqlite_conn: Any) -> None:
    create_schema(mysql_conn, "mysql")
    create_schema(sqlite_conn, "sqlite")
    create_schema(sqlite_conn, "sqlite")  # drop-and-recreate is repeatable
    for name, table in TABLES.items():
        info = sqlite_conn.execute(f"PRAGMA table_info({name})").fetchall()
        assert [(r[1], r[2], not r[3]) for r in info] == [(c.name, c.type, c.nullable) for c in table.columns]
        assert [r[1] for r in info if r[5]] == [table.primary_key]
        sqlite_indexes = {r[1] for r in sqlite_conn.execute(f"PRAGMA index_list({name})")}
        assert f"ix_{name}_updated_at" in sqlite_indexes

        with mysql_conn.cursor() as cur:
            cur.execute(
                "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                [name],
            )
            cols = cur.fetchall()
            cur.execute(
                "SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                [name],
            )
            engine, collation = cur.fetchone()
            cur.execute(f"SHOW INDEX FROM {name} WHERE Column_name = 'updated_at'")
            assert cur.fetchall(), f"{name} has no index on updated_at"
        assert [c[0] for c in cols] == list(table.column_names)
        assert [c[2] == "YES" for c in cols] == [c.nullable for c in table.columns]
        assert [c[0] for c in cols if c[3] == "PRI"] == [table.primary_key]
        for (col_name, mysql_type, *_), col in zip(cols, table.columns, strict=True):
            base = col.type.lower().split("(")[0]
            # MariaDB stores JSON as LONGTEXT (+ json_valid check); MySQL 8 has a real JSON type
            assert mysql_type.startswith(base) or (base == "json" and mysql_type == "longtext"), col_name
            if "(" in col.type and base not in {"int", "bigint"}:
                assert mysql_type == col.type.lower(), col_name
        assert engine == "InnoDB"
        assert collation.startswith("utf8mb4")


# --- generation ---------------------------------------------------------------------------------


def test_generate_gives_expected_counts_and_identical_data_on_both_dialects(mysql_conn: Any, sqlite_conn: Any) -> None:
    counts = _build(mysql_conn, "mysql")
    assert _build(sqlite_conn, "sqlite") == counts
    assert {k: counts[k] for k in ("categories", "vendors", "customers", "products", "orders")} == {
        "categories": 12,
        "vendors": SCALE // 50 + 2,
        "customers": SCALE // 5,
        "products": SCALE // 10,
        "orders": SCALE,
    }
    assert 2.0 * SCALE <= counts["order_items"] <= 2.8 * SCALE  # ~2.5 at scale; small catalogues cap it
    assert SCALE <= counts["payments"] <= 1.1 * SCALE

    mysql_snap, sqlite_snap = _snapshot(mysql_conn, "mysql"), _snapshot(sqlite_conn, "sqlite")
    assert {t: len(rows) for t, rows in mysql_snap.items()} == counts
    for table in TABLES:
        assert mysql_snap[table] == sqlite_snap[table], table


def test_sqlite_storage_classes(sqlite_conn: Any) -> None:
    """Datetimes are TEXT in the documented format, blobs are bytes, flags integers."""
    _build(sqlite_conn, "sqlite")
    types = sqlite_conn.execute(
        "SELECT DISTINCT typeof(updated_at), typeof(is_test), typeof(ordered_at) FROM orders"
    ).fetchall()
    assert types == [("text", "integer", "text")]
    (sample,) = sqlite_conn.execute("SELECT updated_at FROM orders LIMIT 1").fetchone()
    assert datetime.strptime(sample, "%Y-%m-%d %H:%M:%S.%f").isoformat(" ", "microseconds") == sample
    assert {r[0] for r in sqlite_conn.execute("SELECT typeof(thumbnail) FROM products")} == {"null", "blob"}
    assert {r[0] for r in sqlite_conn.execute("SELECT typeof(preferences) FROM customers")} == {
        "null",
        "text",
    }


def test_generation_is_deterministic(tmp_path: Path) -> None:
    snaps = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        conn = connect_sqlite(tmp_path / f"{name}.sqlite")
        _build(conn, "sqlite", seed=seed)
        snaps.append(_snapshot(conn, "sqlite"))
        conn.close()
    assert snaps[0] == snaps[1]
    assert snaps[0]["orders"] != snaps[2]["orders"]


def test_generated_data_is_realistic_and_consistent(sqlite_conn: Any) -> None:
    _build(sqlite_conn, "sqlite")
    snap = _snapshot(sqlite_conn, "sqlite")
    lo = datetime.combine(START, time.min)
    hi = lo + timedelta(days=DAYS)
    for name, table in TABLES.items():
        names = table.column_names
        for row in snap[name].values():
            updated = row[names.index("updated_at")]
            assert lo <= updated < hi, (name, row)
            if "created_at" in names:
                assert lo <= row[names.index("created_at")] <= updated, (name, row)
            if "deleted_at" in names and row[names.index("deleted_at")] is not None:
                assert row[names.index("deleted_at")] == updated
        micros = {row[names.index("updated_at")].microsecond for row in snap[name].values()}
        assert len(micros) > 1, f"{name}: microseconds look truncated"
        # ids grow with creation time, like auto-increment keys
        # payments follow orders by seconds; the stock ledger books returns and adjustments later
        if "created_at" in names and name not in ("payments", "inventory_movements"):
            created = [row[names.index("created_at")] for _k, row in sorted(snap[name].items())]
            assert created == sorted(created), name

    _assert_consistent_totals(snap)
    categories = snap["categories"].values()
    parents = {c[0] for c in categories if c[2] is None}
    assert len(parents) == 4 and all(c[2] in parents for c in categories if c[2] is not None)
    assert {o[2] for o in snap["orders"].values()} == {
        "placed", "paid", "shipped", "delivered", "cancelled", "returned"
    }  # fmt: skip
    assert {p[7] for p in snap["products"].values()} == {"active", "discontinued"}
    names = [p[4] for p in snap["products"].values()]
    assert any(n != n.strip() for n in names)
    assert any(p[8] for p in snap["products"].values())
    customers = snap["customers"].values()
    text = " ".join(f"{c[1]} {c[2]} {c[6]}" for c in customers)
    assert any(ord(ch) > 127 for ch in text)
    assert any(c[7] is not None for c in customers) and any(c[4] is None for c in customers)
    # every order's customer and products existed when it was placed
    for order in snap["orders"].values():
        assert snap["customers"][order[1]][_col("customers", "created_at")] <= order[_col("orders", "created_at")]
    for item in snap["order_items"].values():
        order = snap["orders"][item[1]]
        product = snap["products"][item[2]]
        assert product[_col("products", "created_at")] <= order[_col("orders", "created_at")]
        assert product[_col("products", "currency")] == order[_col("orders", "currency")]


def test_generate_refuses_a_non_empty_schema(sqlite_conn: Any) -> None:
    _build(sqlite_conn, "sqlite", scale=20)
    with pytest.raises(ValueError, match="create_schema"):
        generate(sqlite_conn, "sqlite", scale=20, start=START, days=1)


def test_utf8mb4_round_trips_on_mariadb(mysql_conn: Any) -> None:
    _build(mysql_conn, "mysql", scale=100)
    row = (999_999, "Zoë 🦉", "佐藤", "zoe@example.com", None, "JP", "東京 🌴", '{"nickname": "早起き 🐦"}')
    stamp = datetime(2025, 1, 2, 3, 4, 5, 678901)
    cols = TABLES["customers"].column_names
    insert_rows(mysql_conn, "mysql", "customers", cols, [(*row, stamp, stamp, None)])
    mysql_conn.commit()
    with mysql_conn.cursor() as cur:
        cur.execute("SELECT * FROM customers WHERE customer_id = 999999")
        assert cur.fetchone() == (*row, stamp, stamp, None)
        cur.execute("SELECT HEX(first_name) FROM customers WHERE customer_id = 999999")
        assert cur.fetchone()[0].endswith("F09FA689")  # 4-byte UTF-8 of 🦉, not '?'
        cur.execute("SELECT first_name, last_name, city FROM customers WHERE customer_id < 999999")
        generated = " ".join(str(v) for r in cur.fetchall() for v in r)
    assert any(ord(ch) > 0x2E80 for ch in generated), "generated data should contain CJK"


# --- simulation ---------------------------------------------------------------------------------

EXPECTED_KINDS = {
    "vendors": {"updated", "soft_deleted"},
    "customers": {"inserted", "updated", "soft_deleted", "back_dated"},
    "products": {"inserted", "updated", "soft_deleted", "back_dated"},
    "orders": {"inserted", "updated", "back_dated"},
    "order_items": {"inserted", "hard_deleted"},
    "payments": {"inserted", "updated", "soft_deleted"},
    "product_reviews": {"inserted", "updated", "soft_deleted"},
    "inventory_movements": {"inserted"},
    "price_changes": {"inserted"},
}


def _assert_summary_matches(before: Snapshot, after: Snapshot, summary: ChangeSummary) -> None:
    day_lo = datetime.combine(summary.day, time.min)
    day_hi, prev_lo = day_lo + timedelta(days=1), day_lo - timedelta(days=1)
    for name, table in TABLES.items():
        changes, names = summary[name], table.column_names
        old, new = before[name], after[name]
        upd = names.index("updated_at")
        assert set(new) - set(old) == set(changes.inserted), name
        assert set(old) - set(new) == set(changes.hard_deleted), name
        touched = changes.keys()
        for key in set(old) & set(new) - touched:
            assert old[key] == new[key], f"{name} {key} changed but is not in the summary"
        for key in changes.inserted:
            assert day_lo <= new[key][upd] < day_hi
            if "created_at" in names:
                assert day_lo <= new[key][names.index("created_at")] <= new[key][upd]
        for key in changes.updated:
            assert old[key] != new[key] and day_lo <= new[key][upd] < day_hi, (name, key)
        for key in changes.back_dated:
            assert old[key] != new[key] and prev_lo <= new[key][upd] < day_lo, (name, key)
            assert old[key][upd] < prev_lo, (name, key)
        for key in changes.soft_deleted:
            deleted = names.index("deleted_at")
            assert old[key][deleted] is None, (name, key)
            assert new[key][deleted] == new[key][upd] and day_lo <= new[key][upd] < day_hi, (name, key)


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_simulate_day_changes_exactly_what_its_summary_says(request: pytest.FixtureRequest, dialect: str) -> None:
    conn = _conn(request, dialect)
    _build(conn, dialect, scale=1000)
    before = _snapshot(conn, dialect)
    seen: dict[str, set[str]] = {t: set() for t in TABLES}
    for offset in range(2):
        day = START + timedelta(days=DAYS + offset)
        summary = simulate_day(conn, dialect, day, seed=3, intensity=0.05)
        after = _snapshot(conn, dialect)
        _assert_summary_matches(before, after, summary)
        _assert_consistent_totals(after)
        for table, counts in summary.counts().items():
            seen[table] |= {kind for kind, n in counts.items() if n}
        before = after
    for table, kinds in EXPECTED_KINDS.items():
        assert kinds <= seen[table], table
    assert summary.total == sum(len(summary[t].keys()) for t in TABLES)
    assert not seen["categories"]


def test_simulation_is_deterministic_and_dialect_independent(mysql_conn: Any, sqlite_conn: Any, tmp_path: Path) -> None:
    other = connect_sqlite(tmp_path / "other.sqlite")
    conns = [(mysql_conn, "mysql"), (sqlite_conn, "sqlite"), (other, "sqlite")]
    results = []
    for conn, dialect in conns:
        _build(conn, dialect, scale=300)
        summaries = [simulate_day(conn, dialect, START + timedelta(days=DAYS + i), seed=11) for i in range(2)]
        results.append((summaries, _snapshot(conn, dialect)))
    other.close()
    assert results[0] == results[1] == results[2]
    assert results[0][0][0] != results[0][0][1]  # different days, different changes


# --- connections --------------------------------------------------------------------------------


def test_mysql_url_parsing_and_placeholders() -> None:
    assert mysql_params("mysql://etl:p%40ss%2Fw@db.internal:3307/shop") == {
        "host": "db.internal",
        "port": 3307,
        "user": "etl",
        "password": "p@ss/w",
        "database": "shop",
    }
    assert mysql_params("mysql://root@127.0.0.1/") == {"host": "127.0.0.1", "port": 3306, "user": "root"}
    with pytest.raises(ValueError, match="mysql://"):
        mysql_params("postgresql://x@y/z")
    assert (placeholder("mysql"), placeholder("sqlite")) == ("%s", "?")
    with pytest.raises(ValueError):
        placeholder("oracle")  # type: ignore[arg-type]
