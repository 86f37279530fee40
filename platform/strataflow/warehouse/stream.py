"""One pass over the incoming record batches, shared by every loader.

Loaders never hold more than one batch: this wrapper normalises each batch to the types the
warehouses understand, refuses rows that belong to another partition (they would survive the
next re-run's DELETE and break idempotency), counts rows, and remembers an exception raised by
the upstream reader so the original error can be reported even when a database driver wraps it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from strataflow.warehouse.base import PARTITION_COLUMN, validate_identifier


def normalize_type(t: pa.DataType) -> pa.DataType:
    """Collapse Arrow's encodings of one logical type into the one each loader handles."""
    if pa.types.is_dictionary(t):
        return normalize_type(t.value_type)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t) or pa.types.is_fixed_size_binary(t):
        return pa.binary()
    if pa.types.is_timestamp(t):
        # Every target stores microseconds; instants are stored in UTC.
        return pa.timestamp("us", tz="UTC" if t.tz else None)
    if pa.types.is_time(t):
        return pa.time64("us")
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_decimal256(t) and t.precision <= 38:
        return pa.decimal128(t.precision, t.scale)
    return t


def normalize_schema(schema: pa.Schema) -> pa.Schema:
    names = [validate_identifier(name, "column") for name in schema.names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate column names in the data: {', '.join(duplicates)}")
    return pa.schema([field.with_type(normalize_type(field.type)) for field in schema])


class BatchStream:
    """A single-use, validated pass over a RecordBatchReader."""

    def __init__(self, reader: pa.RecordBatchReader, *, partition: str | None) -> None:
        """`partition`, when given, is the only `_partition` value the data may hold."""
        self.schema = normalize_schema(reader.schema)
        if partition is not None and PARTITION_COLUMN not in self.schema.names:
            raise ValueError(f"the data has no {PARTITION_COLUMN} column, so a partition cannot be replaced")
        self.rows = 0
        self.error: Exception | None = None
        self._reader = reader
        self._partition = partition
        self._used = False

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self._used:
            raise RuntimeError("a BatchStream can be read only once")
        self._used = True
        return self._batches()

    def to_reader(self) -> pa.RecordBatchReader:
        """The same pass as an Arrow stream, for engines that scan Arrow natively."""
        return pa.RecordBatchReader.from_batches(self.schema, iter(self))

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._reader:
                if batch.num_rows == 0:
                    continue
                batch = self._prepare(batch)
                self.rows += batch.num_rows
                yield batch
        except Exception as exc:
            self.error = exc
            raise

    def _prepare(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.schema != self.schema:
            batch = batch.cast(self.schema)
        if self._partition is not None:
            self._check_partition(batch.column(PARTITION_COLUMN))
        return batch

    def _check_partition(self, column: pa.Array) -> None:
        matches = pc.equal(column, pa.scalar(self._partition, column.type))
        if column.null_count == 0 and pc.all(matches).as_py():
            return
        wrong = pc.filter(column, pc.invert(pc.fill_null(matches, False)))
        raise ValueError(
            f"{PARTITION_COLUMN} holds {wrong[0].as_py()!r} but this load replaces partition "
            f"{self._partition!r}; every row must belong to the partition being replaced"
        )
