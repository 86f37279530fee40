"""PostgreSQL target: COPY ... FROM STDIN in CSV, one Arrow-written chunk at a time.

Arrow's C++ CSV writer renders each chunk, so Python never touches individual values. Its
output round-trips exactly through PostgreSQL's CSV parser: every string is quoted (so an
empty string stays distinct from NULL, which is an unquoted empty field; quotes are doubled;
tabs, newlines and backslashes are literal inside quotes), decimals keep their scale,
timestamps keep their microseconds. timestamptz values are written as UTC wall-clock times
(formatting them with a zone is ~25x slower in Arrow) and read back under
`SET LOCAL TIME ZONE 'UTC'`. The one type CSV cannot carry raw is bytea, which is sent in
PostgreSQL's hex form (`\\x...`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from strataflow.warehouse.dialects import POSTGRES
from strataflow.warehouse.sql_warehouse import SqlWarehouse
from strataflow.warehouse.stream import BatchStream

if TYPE_CHECKING:
    import psycopg

# An arbitrary constant naming the advisory lock that serialises DDL between concurrent loads
# (two first loads of a table would otherwise race on CREATE TABLE IF NOT EXISTS).
DDL_LOCK_KEY = 0x5354524154414446  # "STRATADF"

_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")


class PostgresWarehouse(SqlWarehouse):
    """A PostgreSQL database given as a libpq conninfo string or URL."""

    dialect = POSTGRES

    def __init__(self, conninfo: str, *, chunk_rows: int = 50_000) -> None:
        """`chunk_rows` bounds the CSV text held in memory at once (a few MB)."""
        import psycopg

        self._conn: psycopg.Connection = psycopg.connect(conninfo, autocommit=True, client_encoding="UTF8")
        self._chunk_rows = chunk_rows

    def close(self) -> None:
        self._conn.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, tuple(params) or None)

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self._conn.execute(sql, tuple(params) or None)
        return cursor.fetchall() if cursor.description is not None else []

    def _transaction(self) -> AbstractContextManager[Any]:
        return self._conn.transaction()

    def _lock_for_ddl(self) -> bool:
        self._execute(f"SELECT pg_advisory_xact_lock({DDL_LOCK_KEY})")
        return True

    def _lock_for_replace(self, target: str, partition: str | None) -> None:
        # Held to commit: a second load of the partition waits, then deletes the first one's rows.
        # hashtext() is int4, so the key never equals DDL_LOCK_KEY; a collision only serialises more.
        key = target if partition is None else f"{target}|{partition}"
        self._execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))

    def _bulk_insert(self, target: str, stream: BatchStream, staged: Any) -> int:
        columns = ", ".join(self.dialect.quote(name) for name in stream.schema.names)
        # csv_chunk writes timestamptz as UTC wall-clock; this transaction reads them as UTC.
        self._execute("SET LOCAL TIME ZONE 'UTC'")
        with self._conn.cursor() as cursor:
            with cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                for chunk in _chunks(stream, self._chunk_rows):
                    copy.write(csv_chunk(chunk))
            return cursor.rowcount


def _chunks(stream: BatchStream, size: int) -> Iterator[pa.RecordBatch]:
    for batch in stream:
        for offset in range(0, batch.num_rows, size):
            yield batch.slice(offset, size)


def csv_chunk(batch: pa.RecordBatch) -> memoryview:
    """One batch as PostgreSQL-compatible CSV bytes."""
    for i, field in enumerate(batch.schema):
        if pa.types.is_binary(field.type):
            batch = batch.set_column(i, field.name, bytea_hex(batch.column(i)))
        elif pa.types.is_timestamp(field.type) and field.type.tz is not None:
            # zero-copy: the stored values are UTC already (stream.normalize_type)
            batch = batch.set_column(i, field.name, batch.column(i).cast(pa.timestamp("us")))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(batch, sink, _CSV_OPTIONS)
    return memoryview(sink.getvalue())


def bytea_hex(values: pa.Array) -> pa.Array:
    """bytea's text input form, `\\x` + hex digits, computed column-wise."""
    hexed = "\\x" + pl.Series(values=values).bin.encode("hex")
    return hexed.to_arrow().cast(pa.string())
