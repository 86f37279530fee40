"""SRC loaders on real parts: a DuckDB file, the running PostgreSQL, Snowflake through fakesnow.

The behaviour cases are written once and parametrised over the three targets.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest

from strataflow.warehouse import (
    DuckDBWarehouse,
    LoadRequest,
    PostgresWarehouse,
    SnowflakeWarehouse,
    Warehouse,
    create_warehouse,
)
from strataflow.warehouse.dialects import DUCKDB, POSTGRES, SNOWFLAKE
from strataflow.warehouse.postgres_loader import bytea_hex, csv_chunk
from strataflow.warehouse.sql_warehouse import SqlWarehouse

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
TABLE = "shop__orders"
TZ = pa.timestamp("us", tz="UTC")

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("qty", pa.int32()),
        ("small", pa.int8()),
        ("amount", pa.decimal128(12, 2)),
        ("price", pa.float64()),
        ("ratio", pa.float32()),
        ("note", pa.string()),
        ("is_paid", pa.bool_()),
        ("order_date", pa.date32()),
        ("order_time", pa.time64("us")),
        ("created_at", TZ),
        ("local_ts", pa.timestamp("us")),
        ("payload", pa.binary()),
        ("_batch_id", pa.string()),
        ("_partition", pa.string()),
        ("_loaded_at", TZ),
        ("_op", pa.string()),
    ]
)

NOTES = [
    "plain",
    "emoji 😀🚀 and ünïcödé",
    "tab\there",
    "new\nline\r\nand CR",
    "quotes \"double\" and 'single'",
    "back\\slash \\x00 \\N",
    "",
    "\\N",
    "NULL",
    "comma, semicolon; pipe|",
    "\\.",
    "  padded  ",
    None,
]
AMOUNTS = [Decimal("12345678.90"), Decimal("-0.01"), Decimal("0.00"), None, Decimal("9999999999.99")]
PAYLOADS = [b"\x00\xff\x10", b"", None, "😀".encode(), bytes(range(256))]


def orders(partition: str, ids: range, batch_id: str = "batch-1") -> pa.Table:
    """Orders-like SRC rows covering every type, NULLs and awkward strings."""
    n = len(ids)
    loaded_at = datetime(2025, 1, 4, 2, 0, 0, 123456, tzinfo=UTC)
    columns = {
        "id": list(ids),
        "qty": [None if i % 7 == 3 else i * 3 for i in ids],
        "small": [(i % 200) - 100 for i in ids],
        "amount": [AMOUNTS[i % len(AMOUNTS)] for i in ids],
        "price": [None if i % 5 == 4 else i / 3 for i in ids],
        "ratio": [[0.5, -1.25, 3.0, None][i % 4] for i in ids],
        "note": [NOTES[i % len(NOTES)] for i in ids],
        "is_paid": [[True, False, None][i % 3] for i in ids],
        "order_date": [None if i % 6 == 5 else date(2025, 1, 1 + i % 28) for i in ids],
        "order_time": [None if i % 4 == 1 else time(i % 24, 30, 15, 654321) for i in ids],
        "created_at": [
            None if i % 8 == 7 else datetime(2025, 1, 3, i % 24, 34, 56, 789012 - i, tzinfo=UTC) for i in ids
        ],
        "local_ts": [None if i % 9 == 8 else datetime(2024, 12, 31, 23, 59, 59, 999999 - i) for i in ids],
        "payload": [PAYLOADS[i % len(PAYLOADS)] for i in ids],
        "_batch_id": [batch_id] * n,
        "_partition": [partition] * n,
        "_loaded_at": [loaded_at] * n,
        "_op": [["I", "U", "D"][i % 3] for i in ids],
    }
    return pa.table(columns, schema=SCHEMA)


def reader(table: pa.Table, batch_rows: int = 4) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=batch_rows))


def request(partition: str, mode: str = "replace_partition", batch_id: str = "batch-1") -> LoadRequest:
    return LoadRequest(
        asset="src/shop/orders",
        table=TABLE,
        partition=partition,
        mode=mode,  # type: ignore[arg-type]
        batch_id=batch_id,
        watermark_min=datetime(2025, 1, 3, tzinfo=UTC),
        watermark_max=datetime(2025, 1, 3, 23, 59, 59, 999999, tzinfo=UTC),
    )


def _plain(value: object) -> object:
    """Driver-neutral form: bytes for binary, UTC for instants."""
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def stored(wh: SqlWarehouse, columns: list[str] | None = None) -> list[tuple]:
    names = columns or SCHEMA.names
    select = ", ".join(wh.dialect.quote(c) for c in names)
    rows = wh.query(f"SELECT {select} FROM src.{TABLE} ORDER BY _partition, id")
    return [tuple(_plain(v) for v in row) for row in rows]


def expected(*tables: pa.Table, columns: list[str] | None = None) -> list[tuple]:
    names = columns or SCHEMA.names
    rows = [tuple(_plain(r[c]) for c in names) for t in tables for r in t.to_pylist()]
    return sorted(rows, key=lambda r: (r[names.index("_partition")], r[names.index("id")]))


def audit_rows(wh: SqlWarehouse) -> list[dict]:
    names = [
        "load_id",
        "asset",
        "partition",
        "batch_id",
        "rows_loaded",
        "watermark_min",
        "watermark_max",
        "started_at",
        "finished_at",
        "status",
        "error",
    ]
    select = ", ".join(wh.dialect.quote(c) for c in names)
    rows = wh.query(f"SELECT {select} FROM audit.load_log ORDER BY started_at")
    return [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows]


# -- targets -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}")
    name = f"strataflow_wh_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["duckdb", "postgres", "snowflake"])
def wh(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlWarehouse]:
    """A fresh, empty warehouse; small chunk/file sizes so multi-chunk paths run."""
    kind = request.param
    if kind == "duckdb":
        warehouse: SqlWarehouse = DuckDBWarehouse(str(tmp_path / "sub" / "warehouse.duckdb"))
        yield warehouse
        warehouse.close()
    elif kind == "postgres":
        conninfo = request.getfixturevalue("pg_database")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS src CASCADE")
            conn.execute("DROP SCHEMA IF EXISTS audit CASCADE")
        warehouse = PostgresWarehouse(conninfo, chunk_rows=3)
        yield warehouse
        warehouse.close()
    else:
        import fakesnow

        with fakesnow.patch():
            warehouse = SnowflakeWarehouse({"database": "STRATAFLOW_TEST"}, file_rows=5)
            yield warehouse
            warehouse.close()


# -- shared behaviour ----------------------------------------------------------------------


def test_load_round_trips_every_type_exactly(wh: SqlWarehouse) -> None:
    data = orders("2025-01-03", range(26))
    result = wh.load(request("2025-01-03"), reader(data))

    assert result.rows == 26
    assert result.started_at <= result.finished_at
    assert stored(wh) == expected(data)
    # spot-check the values the brief names, independent of the helper
    amounts = {row[0] for row in wh.query(f"SELECT amount FROM src.{TABLE}")}
    assert Decimal("12345678.90") in amounts
    assert any(isinstance(v, Decimal) for v in amounts)


def test_reloading_a_partition_leaves_identical_rows(wh: SqlWarehouse) -> None:
    data = orders("2025-01-03", range(10))
    wh.load(request("2025-01-03"), reader(data))
    first = stored(wh)
    wh.load(request("2025-01-03"), reader(data))

    assert stored(wh) == first == expected(data)
    assert wh.query(f"SELECT count(*) FROM src.{TABLE}")[0][0] == 10


def test_second_partition_is_appended_and_first_untouched(wh: SqlWarehouse) -> None:
    day1 = orders("2025-01-03", range(8))
    day2 = orders("2025-01-04", range(100, 106), batch_id="batch-2")
    wh.load(request("2025-01-03"), reader(day1))
    wh.load(request("2025-01-04", batch_id="batch-2"), reader(day2))
    assert stored(wh) == expected(day1, day2)

    day2_rerun = orders("2025-01-04", range(100, 102), batch_id="batch-3")
    wh.load(request("2025-01-04", batch_id="batch-3"), reader(day2_rerun))
    assert stored(wh) == expected(day1, day2_rerun)


def test_replace_table_replaces_every_row(wh: SqlWarehouse) -> None:
    snapshot1 = orders("2025-01-03", range(7))
    snapshot2 = orders("2025-01-04", range(50, 53), batch_id="batch-2")
    wh.load(request("2025-01-03", mode="replace_table"), reader(snapshot1))
    wh.load(request("2025-01-04", mode="replace_table", batch_id="batch-2"), reader(snapshot2))

    assert stored(wh) == expected(snapshot2)


def test_empty_partition_clears_the_partition(wh: SqlWarehouse) -> None:
    wh.load(request("2025-01-03"), reader(orders("2025-01-03", range(5))))
    result = wh.load(request("2025-01-03"), reader(orders("2025-01-03", range(0))))

    assert result.rows == 0
    assert stored(wh) == []
    assert [a["rows_loaded"] for a in audit_rows(wh)] == [5, 0]


def test_incompatible_type_fails_and_keeps_previous_rows(wh: SqlWarehouse) -> None:
    good = orders("2025-01-03", range(6))
    wh.load(request("2025-01-03"), reader(good))

    bad = good.set_column(SCHEMA.get_field_index("amount"), "amount", pa.array(["not a number"] * 6, pa.string()))
    with pytest.raises(Exception) as raised:
        wh.load(request("2025-01-03", batch_id="batch-bad"), reader(bad))

    assert stored(wh) == expected(good)
    failed = audit_rows(wh)[-1]
    assert failed["status"] == "failed"
    assert failed["batch_id"] == "batch-bad"
    assert failed["rows_loaded"] == 0
    assert type(raised.value).__name__ in failed["error"]
    assert "not a number" in failed["error"]  # the database's own message, not a follow-up error


def test_reader_failing_mid_stream_rolls_back(wh: SqlWarehouse) -> None:
    good = orders("2025-01-03", range(6))
    wh.load(request("2025-01-03"), reader(good))

    replacement = orders("2025-01-03", range(100, 110), batch_id="batch-broken")

    def batches() -> Iterator[pa.RecordBatch]:
        yield replacement.to_batches(max_chunksize=5)[0]
        raise RuntimeError("source connection lost after the first batch")

    broken = pa.RecordBatchReader.from_batches(SCHEMA, batches())
    with pytest.raises(RuntimeError, match="source connection lost"):
        wh.load(request("2025-01-03", batch_id="batch-broken"), broken)

    assert stored(wh) == expected(good)
    failed = audit_rows(wh)[-1]
    assert failed["status"] == "failed"
    assert "source connection lost after the first batch" in failed["error"]


def test_schema_drift_adds_columns_and_matches_by_name(wh: SqlWarehouse) -> None:
    day1 = orders("2025-01-03", range(5))
    wh.load(request("2025-01-03"), reader(day1))

    day2 = orders("2025-01-04", range(10, 14), batch_id="batch-2")
    day2 = day2.append_column("coupon_code", pa.array(["A1", None, "", "Z😀"], pa.string()))
    day2 = day2.append_column("discount", pa.array([Decimal("1.50"), None, Decimal("0"), None], pa.decimal128(5, 2)))
    shuffled = day2.select(list(reversed(day2.schema.names)))  # column order differs from the table
    wh.load(request("2025-01-04", batch_id="batch-2"), reader(shuffled))

    names = [*SCHEMA.names, "coupon_code", "discount"]
    day1_widened = day1.append_column("coupon_code", pa.nulls(5, pa.string())).append_column(
        "discount", pa.nulls(5, pa.decimal128(5, 2))
    )
    assert stored(wh, names) == expected(day1_widened, day2, columns=names)


def test_rows_of_another_partition_are_refused(wh: SqlWarehouse) -> None:
    stray = orders("2025-01-05", range(3))
    with pytest.raises(ValueError, match="2025-01-05"):
        wh.load(request("2025-01-03"), reader(stray))
    assert [a["status"] for a in audit_rows(wh)] == ["failed"]


def test_audit_rows_record_every_attempt(wh: SqlWarehouse) -> None:
    result = wh.load(request("2025-01-03"), reader(orders("2025-01-03", range(9))))
    with pytest.raises(ValueError):
        wh.load(request("2025-01-03", batch_id="batch-2"), reader(orders("2025-01-09", range(2))))

    success, failed = audit_rows(wh)
    assert uuid.UUID(success["load_id"]) != uuid.UUID(failed["load_id"])
    assert success == {
        "load_id": success["load_id"],
        "asset": "src/shop/orders",
        "partition": "2025-01-03",
        "batch_id": "batch-1",
        "rows_loaded": 9,
        "watermark_min": datetime(2025, 1, 3, tzinfo=UTC),
        "watermark_max": datetime(2025, 1, 3, 23, 59, 59, 999999, tzinfo=UTC),
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "status": "success",
        "error": None,
    }
    assert failed["status"] == "failed"
    assert failed["batch_id"] == "batch-2"
    assert failed["rows_loaded"] == 0
    assert failed["started_at"] <= failed["finished_at"]
    assert "ValueError" in failed["error"]


def test_arrow_encodings_are_normalised(wh: SqlWarehouse) -> None:
    """Dictionary, large/view strings, ns and non-UTC timestamps load as their plain types."""
    data = orders("2025-01-03", range(6))
    names = ["id", "note", "created_at", "_partition", "_op"]
    encoded = pa.table(
        {
            "id": data["id"],
            "note": data["note"].cast(pa.large_string()),
            "created_at": data["created_at"].cast(pa.timestamp("ns", tz="Europe/Paris")),
            "_partition": data["_partition"].dictionary_encode(),
            "_op": data["_op"].cast(pa.string_view()),
        }
    )
    wh.load(request("2025-01-03"), reader(encoded))

    assert stored(wh, names) == expected(data.select(names), columns=names)


def test_special_float_values_round_trip(wh: SqlWarehouse) -> None:
    values = [float("nan"), float("inf"), float("-inf"), -0.0, 1.7976931348623157e308, 5e-324, 0.1 + 0.2]
    data = pa.table(
        {
            "id": pa.array(range(len(values)), pa.int64()),
            "price": pa.array(values, pa.float64()),
            "_partition": ["2025-01-03"] * len(values),
        }
    )
    wh.load(request("2025-01-03"), reader(data))

    got = [row[1] for row in stored(wh, ["id", "price", "_partition"])]
    assert math.isnan(got[0])
    assert got[1:] == values[1:]
    assert math.copysign(1.0, got[3]) == -1.0


def test_concurrent_first_loads_of_a_table_do_not_race(pg_database: str) -> None:
    """Parallel backfills: the DDL advisory lock keeps CREATE TABLE IF NOT EXISTS from colliding."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS src CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS audit CASCADE")
    days = [f"2025-02-{d:02d}" for d in range(1, 7)]

    def load(day: str) -> int:
        with PostgresWarehouse(pg_database) as wh:
            return wh.load(request(day), reader(orders(day, range(20)))).rows

    with ThreadPoolExecutor(max_workers=len(days)) as pool:
        assert list(pool.map(load, days)) == [20] * len(days)
    with PostgresWarehouse(pg_database) as wh:
        assert wh.query(f"SELECT count(DISTINCT _partition), count(*) FROM src.{TABLE}") == [(6, 120)]


def test_postgres_indexes_the_src_partition_column(pg_database: str) -> None:
    """Partition replaces and incremental dbt models filter on _partition; without the index PostgreSQL
    reads the whole change log for one day."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS src CASCADE")
    with PostgresWarehouse(pg_database) as wh:
        wh.load(request("2025-02-01"), reader(orders("2025-02-01", range(20))))
        assert wh.query(f"SELECT indexdef FROM pg_indexes WHERE schemaname = 'src' AND tablename = '{TABLE}'") == [
            (f"CREATE INDEX {TABLE}__partition ON src.{TABLE} USING btree (_partition)",)
        ]


# -- target-independent units --------------------------------------------------------------


@pytest.mark.parametrize("table", ["Shop__Orders", "shop-orders", 'x"; drop table y; --', "", "1abc", "a" * 64])
def test_load_request_rejects_unsafe_table_names(table: str) -> None:
    with pytest.raises(ValueError, match="identifier"):
        LoadRequest("a", table, "2025-01-03", "replace_partition", "b", None, None)


def test_column_names_are_validated_before_touching_the_table(tmp_path) -> None:
    with DuckDBWarehouse(str(tmp_path / "w.duckdb")) as wh:
        data = pa.table({"Bad Name": [1], "_partition": ["2025-01-03"]})
        with pytest.raises(ValueError, match="Bad Name"):
            wh.load(request("2025-01-03"), reader(data))
        assert wh.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'src'") == [(0,)]
        assert [a["status"] for a in audit_rows(wh)] == ["failed"]


def test_ddl_type_names_per_dialect() -> None:
    fields = pa.schema(
        [
            ("amount", pa.decimal128(12, 2)),
            ("created_at", TZ),
            ("local_ts", pa.timestamp("us")),
            ("payload", pa.binary()),
            ("note", pa.string()),
            ("n", pa.int64()),
        ]
    )
    assert DUCKDB.create_table("src", "t", fields) == (
        'CREATE TABLE IF NOT EXISTS "src"."t" ("amount" DECIMAL(12,2), '
        '"created_at" TIMESTAMP WITH TIME ZONE, '
        '"local_ts" TIMESTAMP, "payload" BLOB, "note" VARCHAR, "n" BIGINT)'
    )
    assert POSTGRES.create_table("src", "t", fields) == (
        'CREATE TABLE IF NOT EXISTS "src"."t" ("amount" NUMERIC(12,2), '
        '"created_at" TIMESTAMP WITH TIME ZONE, '
        '"local_ts" TIMESTAMP, "payload" BYTEA, "note" TEXT, "n" BIGINT)'
    )
    assert SNOWFLAKE.create_table("src", "t", fields) == (
        'CREATE TABLE IF NOT EXISTS "SRC"."T" ("AMOUNT" NUMBER(12,2), "CREATED_AT" TIMESTAMP_TZ, '
        '"LOCAL_TS" TIMESTAMP_NTZ, "PAYLOAD" BINARY, "NOTE" VARCHAR, "N" BIGINT)'
    )
    with pytest.raises(TypeError, match="column 'tags'"):
        DUCKDB.create_table("src", "t", pa.schema([("tags", pa.list_(pa.string()))]))


def test_postgres_csv_chunk_quotes_strings_and_hex_encodes_bytea() -> None:
    batch = pa.record_batch(
        {
            "s": pa.array(["", None, 'a"b\nc'], pa.string()),
            "b": pa.array([b"\x00\xff", None, b""], pa.binary()),
        }
    )
    assert bytes(csv_chunk(batch)) == b'"","\\x00ff"\n,\n"a""b\nc","\\x"\n'
    assert bytea_hex(pa.array([b"\x01"], pa.binary())).to_pylist() == ["\\x01"]


def test_factory_opens_by_kind(tmp_path) -> None:
    wh = create_warehouse("duckdb", path=str(tmp_path / "f.duckdb"))
    assert isinstance(wh, DuckDBWarehouse)
    assert isinstance(wh, Warehouse)
    wh.close()
    with pytest.raises(ValueError, match="unknown warehouse kind"):
        create_warehouse("oracle")
