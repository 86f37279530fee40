"""Value adaptation and batched inserts, so generator and simulator stay dialect-agnostic.

SQLite has no DATETIME or DECIMAL storage: datetimes are stored as TEXT
'YYYY-MM-DD HH:MM:SS.ffffff' (sorts and compares correctly as text) and decimals are bound as
exact TEXT such as '12.30'. Note that SQLite's NUMERIC affinity (any declared type like
DECIMAL(12,2)) turns numeric-looking text into REAL/INTEGER on storage; for DECIMAL(12,2)
(at most 12 significant digits, below double's 15) this is lossless, and `to_decimal` restores it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from strataflow.config.identifiers import quote_identifier
from strataflow.demo.connect import Dialect, placeholder

CENT = Decimal("0.01")
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_CHUNK_ROWS = 5_000


def adapt(value: Any, dialect: Dialect) -> Any:
    """One Python value as the driver should receive it (pymysql handles datetime/Decimal itself)."""
    if dialect == "mysql":
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def adapt_row(row: Sequence[Any], dialect: Dialect) -> tuple[Any, ...]:
    if dialect == "mysql":
        return tuple(row)
    return tuple(adapt(v, dialect) for v in row)


def insert_rows(conn: Any, dialect: Dialect, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT rows in chunks of multi-row statements; return how many were inserted.

    SQLite: executemany. MySQL: one `INSERT ... VALUES (...), (...)` per chunk rendered by
    `_mysql_values`, which does what pymysql's executemany does, about three times faster.
    """
    cols = ", ".join(quote_identifier(c, dialect) for c in columns)
    head = f"INSERT INTO {quote_identifier(table, dialect)} ({cols}) VALUES "
    sql = head + "(" + ", ".join([placeholder(dialect)] * len(columns)) + ")"
    total = 0
    chunk: list[Sequence[Any]] = []
    cur = conn.cursor()

    def flush() -> None:
        if dialect == "mysql":
            cur.execute(head + _mysql_values(conn, chunk))
        else:
            cur.executemany(sql, [adapt_row(r, dialect) for r in chunk])

    try:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= _CHUNK_ROWS:
                flush()
                total += len(chunk)
                chunk = []
        if chunk:
            flush()
            total += len(chunk)
    finally:
        cur.close()
    return total


def _mysql_values(conn: Any, rows: Sequence[Sequence[Any]]) -> str:
    """Render rows as SQL literals: numbers, NULL and datetimes directly, strings and bytes through
    the connection's own escaping (the one pymysql's cursor uses; it honours NO_BACKSLASH_ESCAPES)."""
    escape = conn.escape

    def lit(v: Any) -> str:
        kind = type(v)
        if kind is int:
            return str(v)
        if kind is Decimal:
            return format(v, "f")
        if v is None:
            return "NULL"
        if kind is datetime:
            return "'" + v.isoformat(" ", "microseconds") + "'"
        return escape(v)

    return ",".join("(" + ",".join(map(lit, row)) + ")" for row in rows)


def query(conn: Any, dialect: Dialect, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run a SELECT written with `{p}` as the parameter marker; return all rows."""
    cur = conn.cursor()
    try:
        cur.execute(sql.format(p=placeholder(dialect)), [adapt(v, dialect) for v in params])
        return list(cur.fetchall())
    finally:
        cur.close()


def execute(conn: Any, dialect: Dialect, sql: str, params: Sequence[Any] = ()) -> int:
    """Run a DML statement written with `{p}` markers; return the affected row count."""
    cur = conn.cursor()
    try:
        cur.execute(sql.format(p=placeholder(dialect)), [adapt(v, dialect) for v in params])
        return cur.rowcount
    finally:
        cur.close()


def execute_many(conn: Any, dialect: Dialect, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """executemany for a statement written with `{p}` markers."""
    batch = [adapt_row(r, dialect) for r in rows]
    if not batch:
        return
    cur = conn.cursor()
    try:
        cur.executemany(sql.format(p=placeholder(dialect)), batch)
    finally:
        cur.close()


def to_decimal(value: Any) -> Decimal:
    """A DECIMAL(12,2) value read back from either driver, as an exact 2-place Decimal."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return Decimal(str(value)).quantize(CENT)


def to_datetime(value: Any) -> datetime:
    """A DATETIME(6) value read back from either driver (SQLite returns the stored TEXT)."""
    if isinstance(value, datetime):
        return value
    return datetime.strptime(value, SQLITE_DATETIME_FORMAT)
