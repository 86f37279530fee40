"""MySQL/MariaDB reader: metadata from information_schema, rows as a connectorx Arrow stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import unquote, urlparse

import connectorx as cx
import pyarrow as pa
import pymysql

from strataflow.config.identifiers import quote_identifier, quote_source_column
from strataflow.extract.query import count_sql, select_sql, window_condition
from strataflow.extract.reader import DEFAULT_BATCH_ROWS, conform
from strataflow.extract.retry import SourceReadError, is_panic
from strataflow.extract.types import SourceColumn, arrow_schema, arrow_type_for


class ZeroDateError(ValueError):
    """A DATE/DATETIME column holds MySQL's zero date, which has no Arrow (or calendar) equivalent."""


_COLUMNS_SQL = """
SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, IS_NULLABLE
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s
ORDER BY ORDINAL_POSITION
"""


class MySQLReader:
    """Streams with connectorx (Rust decoding: the fast path); pymysql only for metadata."""

    dialect = "mysql"

    def __init__(self, url: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self.url = url
        self.batch_rows = batch_rows
        parsed = urlparse(url)
        self._params = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 3306,
            "user": unquote(parsed.username or ""),
            "password": unquote(parsed.password or ""),
            "database": parsed.path.lstrip("/"),
        }

    def _connect(self) -> pymysql.connections.Connection:
        return pymysql.connect(**self._params, charset="utf8mb4", connect_timeout=10)

    def tables(self) -> list[str]:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY 1",
                (self._params["database"],),
            )
            return [row[0] for row in cur.fetchall()]

    def query(self, sql: str) -> list[tuple]:
        """A small read-only query (e.g. the late-data fingerprints); rows as tuples."""
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def columns(self, table: str) -> list[SourceColumn]:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(_COLUMNS_SQL, (self._params["database"], table))
            rows = cur.fetchall()
        if not rows:
            raise LookupError(f"table {table!r} not found in MySQL database {self._params['database']!r}")
        return [
            SourceColumn(
                name=name,
                source_type=column_type,
                arrow_type=arrow_type_for(data_type, precision, scale, "unsigned" in column_type.lower()),
                nullable=nullable == "YES",
            )
            for name, data_type, column_type, precision, scale, nullable in rows
        ]

    def count(self, table: str, watermark: str | None = None, window: tuple[datetime, datetime] | None = None) -> int:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(count_sql("mysql", table, watermark, window))
            return int(cur.fetchone()[0])

    def stream(
        self,
        table: str,
        columns: list[SourceColumn],
        order_by: list[str],
        watermark: str | None = None,
        window: tuple[datetime, datetime] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        schema = arrow_schema(columns)
        wide = frozenset(c.name for c in columns if _beyond_connectorx_decimal(c.arrow_type))
        zero_null = frozenset(c.name for c in columns if c.zero_dates_as_null)
        sql = select_sql("mysql", table, [c.name for c in columns], order_by, watermark, window, wide, zero_null)
        try:
            reader = cx.read_sql(self.url, sql, return_type="arrow_stream", batch_size=self.batch_rows)
            for batch in reader:
                if batch.num_rows:
                    yield conform(batch, schema)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as error:
            # connectorx reports a killed query, a dropped connection or an undecodable value as a Rust
            # panic (a BaseException): turn it into an ordinary exception naming the table.
            if not is_panic(error):
                raise
            if "couldn't convert the value" in str(error).lower():
                self._raise_if_zero_dates(table, columns, order_by, watermark, window)
            raise SourceReadError(f"reading MySQL table {table!r} failed: {error}") from error

    def _raise_if_zero_dates(
        self,
        table: str,
        columns: list[SourceColumn],
        key: list[str],
        watermark: str | None = None,
        window: tuple[datetime, datetime] | None = None,
    ) -> None:
        """Name the column holding zero dates and one key where it does, with the registry fix.

        Only the rows the failed extract read (its window): a zero date in another partition neither
        costs a scan of the whole table nor takes the blame for this partition's failure."""
        dated = (pa.types.is_date, pa.types.is_timestamp)
        candidates = [c for c in columns if not c.zero_dates_as_null and any(t(c.arrow_type) for t in dated)]
        in_window = window_condition("mysql", watermark, window)
        with self._connect() as conn, conn.cursor() as cur:
            for column in candidates:
                col = quote_source_column(column.name, "mysql")
                keys = ", ".join(quote_source_column(k, "mysql") for k in key)
                where = f"(MONTH({col}) = 0 OR DAYOFMONTH({col}) = 0)"
                if in_window is not None:
                    where += f" AND {in_window}"
                cur.execute(
                    f"SELECT {keys}, CAST({col} AS CHAR) FROM {quote_identifier(table, 'mysql')} WHERE {where} LIMIT 1"
                )
                row = cur.fetchone()
                if row is None:
                    continue
                sample = ", ".join(f"{k}={v!r}" for k, v in zip(key, row[:-1], strict=True))
                raise ZeroDateError(
                    f"MySQL table {table!r}, column {column.name!r} holds the zero date {row[-1]!r} (e.g. at "
                    f"{sample}), which is no valid date. Fix the source rows, or read such values as NULL with "
                    f"`columns: {{{column.name}: {{zero_dates: null}}}}` in the table's registry entry"
                )


def _beyond_connectorx_decimal(arrow_type: pa.DataType) -> bool:
    """connectorx decodes DECIMAL through rust_decimal into decimal(38,10): more than 18 integer digits
    overflow it and a scale above 10 is rounded, so such columns are read as text and cast exactly."""
    return pa.types.is_decimal(arrow_type) and (arrow_type.scale > 10 or arrow_type.precision - arrow_type.scale > 18)
