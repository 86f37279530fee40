"""The source reader interface: column metadata and a stream of Arrow record batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

import pyarrow as pa

from strataflow.extract.types import SourceColumn

DEFAULT_BATCH_ROWS = 65_536


class SourceReader(Protocol):
    dialect: str

    def columns(self, table: str) -> list[SourceColumn]:
        """The table's columns in source order; raises LookupError if the table does not exist."""
        ...

    def count(self, table: str, watermark: str | None = None, window: tuple[datetime, datetime] | None = None) -> int:
        """Rows stream() would read (reconciliation's source count)."""
        ...

    def stream(
        self,
        table: str,
        columns: list[SourceColumn],
        order_by: list[str],
        watermark: str | None = None,
        window: tuple[datetime, datetime] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Record batches conforming exactly to arrow_schema(columns), in bounded memory."""
        ...


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Cast a reader's batch to the declared schema (e.g. decimal(38,10) back to decimal(12,2))."""
    if batch.schema.equals(schema):
        return batch
    arrays = [batch.column(i).cast(field.type) for i, field in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
