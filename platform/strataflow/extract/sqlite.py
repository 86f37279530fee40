"""SQLite reader for the embedded demo: declared column types give the Arrow schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from strataflow.extract.query import count_sql, select_sql
from strataflow.extract.reader import DEFAULT_BATCH_ROWS
from strataflow.extract.types import SourceColumn, arrow_schema, arrow_type_for, parse_declared_type


class SQLiteReader:
    dialect = "sqlite"

    def __init__(self, path: str | Path, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self.path = Path(path)
        self.batch_rows = batch_rows

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise FileNotFoundError(
                f"SQLite source {self.path} does not exist; create the demo shop there with "
                f"`strataflow demo-source --sqlite {self.path}`, or point the source's path at an existing file"
            )
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def tables(self) -> list[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def query(self, sql: str) -> list[tuple]:
        """A small read-only query (e.g. the late-data fingerprints); rows as tuples."""
        with self._connect() as conn:
            return conn.execute(sql).fetchall()

    def columns(self, table: str) -> list[SourceColumn]:
        with self._connect() as conn:
            rows = conn.execute('SELECT name, type, "notnull", pk FROM pragma_table_info(?)', (table,)).fetchall()
        if not rows:
            raise LookupError(f"table {table!r} not found in SQLite file {self.path}")
        out = []
        for name, declared, notnull, pk in rows:
            base, precision, scale, unsigned = parse_declared_type(declared or "text")
            out.append(
                SourceColumn(name, declared, arrow_type_for(base, precision, scale, unsigned), not (notnull or pk))
            )
        return out

    def count(self, table: str, watermark: str | None = None, window: tuple[datetime, datetime] | None = None) -> int:
        with self._connect() as conn:
            return int(conn.execute(count_sql("sqlite", table, watermark, window)).fetchone()[0])

    def stream(
        self,
        table: str,
        columns: list[SourceColumn],
        order_by: list[str],
        watermark: str | None = None,
        window: tuple[datetime, datetime] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        schema = arrow_schema(columns)
        sql = select_sql("sqlite", table, [c.name for c in columns], order_by, watermark, window)
        converters = [_converter(field.type) for field in schema]
        with self._connect() as conn:
            cursor = conn.execute(sql)
            while rows := cursor.fetchmany(self.batch_rows):
                arrays = [
                    pa.array([convert(row[i]) for row in rows], type=field.type)
                    for i, (field, convert) in enumerate(zip(schema, converters, strict=True))
                ]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _converter(arrow_type: pa.DataType) -> Any:
    """SQLite stores loosely typed values; bring each back to the declared type exactly."""
    if pa.types.is_decimal(arrow_type):
        quantum = Decimal(1).scaleb(-arrow_type.scale)
        return lambda v: None if v is None else Decimal(str(v)).quantize(quantum)
    if pa.types.is_timestamp(arrow_type):
        return lambda v: None if v is None else datetime.fromisoformat(v) if isinstance(v, str) else v
    if pa.types.is_date(arrow_type):
        return lambda v: None if v is None else datetime.fromisoformat(v).date() if isinstance(v, str) else v
    if pa.types.is_string(arrow_type):
        return lambda v: None if v is None else v if isinstance(v, str) else str(v)
    if pa.types.is_boolean(arrow_type):
        return lambda v: None if v is None else bool(v)
    return lambda v: v
