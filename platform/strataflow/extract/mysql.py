"""MySQL/MariaDB reader: metadata from information_schema, rows as a connectorx Arrow stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import unquote, urlparse

import connectorx as cx
import pyarrow as pa
import pymysql

from strataflow.extract.query import count_sql, select_sql
from strataflow.extract.reader import DEFAULT_BATCH_ROWS, conform
from strataflow.extract.types import SourceColumn, arrow_schema, arrow_type_for

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
        sql = select_sql("mysql", table, [c.name for c in columns], order_by, watermark, window, wide)
        reader = cx.read_sql(self.url, sql, return_type="arrow_stream", batch_size=self.batch_rows)
        for batch in reader:
            if batch.num_rows:
                yield conform(batch, schema)


def _beyond_connectorx_decimal(arrow_type: pa.DataType) -> bool:
    """connectorx decodes DECIMAL through rust_decimal into decimal(38,10): more than 18 integer digits
    overflow it and a scale above 10 is rounded, so such columns are read as text and cast exactly."""
    return pa.types.is_decimal(arrow_type) and (arrow_type.scale > 10 or arrow_type.precision - arrow_type.scale > 18)
