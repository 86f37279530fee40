"""RAW extraction from MariaDB: type fidelity, windows, bounded batches, retries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import mysql_connect, mysql_url
from strataflow.config import TableRef
from strataflow.config.models import TableConfig
from strataflow.extract import MySQLReader, SourceUnavailableError
from strataflow.extract.retry import with_retries
from strataflow.lake import LakeStorage, read_committed
from strataflow.pipeline import extract_partition

DDL = """
CREATE TABLE typed (
  id BIGINT NOT NULL PRIMARY KEY,
  small_int SMALLINT NOT NULL,
  plain_int INT,
  unsigned_int INT UNSIGNED,
  flag TINYINT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  big_amount DECIMAL(30,8),
  fine_rate DECIMAL(20,12),
  ratio DOUBLE,
  code CHAR(3) NOT NULL,
  note VARCHAR(200) CHARACTER SET utf8mb4,
  doc JSON,
  payload BLOB,
  born DATE,
  updated_at DATETIME(6) NOT NULL
) DEFAULT CHARSET=utf8mb4
"""
ROWS = [
    (
        1,
        7,
        1,
        4000000000,
        1,
        Decimal("1234567890.12"),
        Decimal("1234567890123456789012.12345678"),
        Decimal("12345678.123456789012"),
        0.5,
        "EUR",
        "naïve café 😀 漢字",
        '{"a": [1, 2]}',
        b"\x00\x01\xfe\xff",
        "2000-02-29",
        "2025-01-01 10:00:00.123456",
    ),
    (
        2,
        -3,
        None,
        None,
        0,
        Decimal("-0.01"),
        None,
        None,
        None,
        "USD",
        None,
        None,
        None,
        None,
        "2025-01-01 23:59:59.999999",
    ),
    (
        3,
        0,
        5,
        0,
        1,
        Decimal("0.00"),
        Decimal("0.00000001"),
        Decimal("-0.000000000001"),
        -1.25,
        "CHF",
        "  padded  ",
        "null",
        b"",
        "1999-12-31",
        "2025-01-02 00:00:00.000000",
    ),
]


def ref(name: str, **cfg: object) -> TableRef:
    config = TableConfig(name=name, partitioning={"start": "2025-01-01"}, **cfg)  # type: ignore[arg-type]
    return TableRef("src1", config, Path("sources/src1.yaml"), 0)


@pytest.fixture
def typed_db(mysql_db: str) -> str:
    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        cur.executemany(f"INSERT INTO typed VALUES ({', '.join(['%s'] * 15)})", ROWS)
        conn.commit()
    return mysql_db


def test_types_survive_exactly(typed_db: str, tmp_path: Path) -> None:
    storage = LakeStorage.local(tmp_path)
    extract_partition(
        MySQLReader(mysql_url(typed_db)),
        storage,
        ref("typed", load_type="full", primary_key=["id"]),
        "2025-01-01",
    )
    manifest, table = read_committed(storage, "raw/src1/typed/ingestion_date=2025-01-01")
    schema = table.schema
    assert schema.field("amount").type == pa.decimal128(12, 2)
    assert schema.field("big_amount").type == pa.decimal128(30, 8)
    assert schema.field("small_int").type == pa.int16()
    assert schema.field("plain_int").type == pa.int32()
    assert schema.field("unsigned_int").type == pa.uint32()
    assert schema.field("flag").type == pa.int8()
    assert schema.field("updated_at").type == pa.timestamp("us")
    assert not schema.field("id").nullable and not schema.field("amount").nullable
    assert schema.field("note").nullable
    rows = table.to_pylist()
    assert [r["amount"] for r in rows] == [Decimal("1234567890.12"), Decimal("-0.01"), Decimal("0.00")]
    assert rows[0]["big_amount"] == Decimal("1234567890123456789012.12345678")
    assert schema.field("fine_rate").type == pa.decimal128(20, 12)
    assert [r["fine_rate"] for r in rows] == [
        Decimal("12345678.123456789012"),
        None,
        Decimal("-0.000000000001"),
    ]
    assert rows[0]["updated_at"] == datetime(2025, 1, 1, 10, 0, 0, 123456)
    assert rows[1]["updated_at"] == datetime(2025, 1, 1, 23, 59, 59, 999999)
    assert rows[0]["note"] == "naïve café 😀 漢字"
    assert rows[2]["note"] == "  padded  "  # RAW is exactly as extracted; SRC trims
    assert rows[0]["payload"] == b"\x00\x01\xfe\xff" and rows[2]["payload"] == b""
    assert '"a"' in rows[0]["doc"]
    assert rows[1]["plain_int"] is None and rows[1]["note"] is None and rows[1]["doc"] is None
    assert rows[0]["unsigned_int"] == 4000000000
    assert manifest.rows == 3


def test_incremental_window_is_half_open(typed_db: str, tmp_path: Path) -> None:
    storage = LakeStorage.local(tmp_path)
    table = ref("typed", load_type="incremental", primary_key=["id"], watermark="updated_at")
    result = extract_partition(MySQLReader(mysql_url(typed_db)), storage, table, "2025-01-01")
    _, data = read_committed(storage, "raw/src1/typed/ingestion_date=2025-01-01")
    assert data.column("id").to_pylist() == [1, 2]  # 2025-01-02 00:00:00 belongs to the next day
    assert result.commit.manifest.watermark_min == "2025-01-01T10:00:00.123456+00:00"
    assert result.commit.manifest.watermark_max == "2025-01-01T23:59:59.999999+00:00"


def test_batches_are_bounded(typed_db: str) -> None:
    reader = MySQLReader(mysql_url(typed_db), batch_rows=1)
    columns = reader.columns("typed")
    sizes = [b.num_rows for b in reader.stream("typed", columns, ["id"])]
    assert sizes == [1, 1, 1]


def test_a_source_that_stays_down_fails_clearly(tmp_path: Path) -> None:
    reader = MySQLReader("mysql://root:@127.0.0.1:1/nowhere")
    with pytest.raises(SourceUnavailableError, match="failed 3 times with a transient error; the source looks down"):
        extract_partition(
            reader,
            LakeStorage.local(tmp_path),
            ref("typed", load_type="full"),
            "2025-01-01",
            attempts=3,
            base_delay=0.01,
        )


def test_transient_errors_back_off_exponentially() -> None:
    delays: list[float] = []
    calls = iter([ConnectionError("connection refused"), TimeoutError("timed out"), "ok"])

    def flaky() -> str:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert with_retries(flaky, what="x", attempts=4, base_delay=0.5, sleep=delays.append) == "ok"
    assert delays == [0.5, 1.0]


def test_permanent_errors_are_not_retried() -> None:
    delays: list[float] = []

    def broken() -> None:
        raise ValueError("syntax error near 'x'")

    with pytest.raises(ValueError, match="syntax error"):
        with_retries(broken, what="x", sleep=delays.append)
    assert delays == []
