"""Per-warehouse SQL spelling: type names, identifier case and parameter markers.

The DDL and DML the loaders issue are the same statements on every target; only these
details differ, so they live in one table instead of three copies of the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from strataflow.warehouse.base import validate_identifier


@dataclass(frozen=True)
class Dialect:
    name: str
    param: str  # the driver's positional parameter marker
    types: Mapping[str, str]  # logical type -> SQL type name
    decimal: str  # template with {precision} and {scale}
    max_decimal_precision: int
    upper_case: bool = False  # Snowflake stores unquoted names upper-cased
    # Index src tables on _partition: the partition replace and every incremental dbt model filter on it,
    # and PostgreSQL would scan the whole change log for them (DuckDB and Snowflake prune by min/max).
    index_partition: bool = False

    def fold(self, name: str) -> str:
        """The name as the catalog stores it when written unquoted."""
        return name.upper() if self.upper_case else name

    def quote(self, name: str) -> str:
        return f'"{self.fold(validate_identifier(name))}"'

    def qualify(self, schema: str, table: str) -> str:
        return f"{self.quote(schema)}.{self.quote(table)}"

    def params(self, count: int) -> str:
        return ", ".join([self.param] * count)

    def sql_type(self, arrow_type: pa.DataType) -> str:
        """SQL column type for an Arrow type (after `stream.normalize_type`)."""
        t = arrow_type
        if pa.types.is_decimal(t):
            if t.scale < 0 or t.precision > self.max_decimal_precision:
                raise TypeError(
                    f"{t} does not fit {self.name}: precision at most {self.max_decimal_precision}, scale not negative"
                )
            return self.decimal.format(precision=t.precision, scale=t.scale)
        if pa.types.is_uint64(t):
            return self.decimal.format(precision=20, scale=0)
        key = _logical_type(t)
        if key is None:
            raise TypeError(f"Arrow type {t} has no {self.name} column type; cast it in the transform")
        return self.types[key]

    def create_schema(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"

    def create_table(self, schema: str, table: str, columns: pa.Schema) -> str:
        body = ", ".join(self._column(f) for f in columns)
        return f"CREATE TABLE IF NOT EXISTS {self.qualify(schema, table)} ({body})"

    def create_partition_index(self, schema: str, table: str) -> str:
        index = self.quote(f"{table}__partition")
        return f"CREATE INDEX IF NOT EXISTS {index} ON {self.qualify(schema, table)} ({self.quote('_partition')})"

    def add_column(self, schema: str, table: str, field: pa.Field) -> str:
        return f"ALTER TABLE {self.qualify(schema, table)} ADD COLUMN {self._column(field)}"

    def _column(self, field: pa.Field) -> str:
        try:
            return f"{self.quote(field.name)} {self.sql_type(field.type)}"
        except TypeError as exc:
            raise TypeError(f"column {field.name!r}: {exc}") from None


def _logical_type(t: pa.DataType) -> str | None:
    checks = (
        (pa.types.is_boolean, "bool"),
        (pa.types.is_int8, "int8"),
        (pa.types.is_int16, "int16"),
        (pa.types.is_uint8, "int16"),
        (pa.types.is_int32, "int32"),
        (pa.types.is_uint16, "int32"),
        (pa.types.is_int64, "int64"),
        (pa.types.is_uint32, "int64"),
        (pa.types.is_float32, "float32"),
        (pa.types.is_float64, "float64"),
        (pa.types.is_string, "string"),
        (pa.types.is_binary, "binary"),
        (pa.types.is_date32, "date"),
        (pa.types.is_time, "time"),
    )
    for check, key in checks:
        if check(t):
            return key
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    return None


DUCKDB = Dialect(
    name="duckdb",
    param="?",
    types={
        "bool": "BOOLEAN",
        "int8": "TINYINT",
        "int16": "SMALLINT",
        "int32": "INTEGER",
        "int64": "BIGINT",
        "float32": "REAL",
        "float64": "DOUBLE",
        "string": "VARCHAR",
        "binary": "BLOB",
        "date": "DATE",
        "time": "TIME",
        "timestamp": "TIMESTAMP",
        "timestamptz": "TIMESTAMP WITH TIME ZONE",
    },
    decimal="DECIMAL({precision},{scale})",
    max_decimal_precision=38,
)

POSTGRES = Dialect(
    name="postgres",
    param="%s",
    types={
        "bool": "BOOLEAN",
        "int8": "SMALLINT",
        "int16": "SMALLINT",
        "int32": "INTEGER",
        "int64": "BIGINT",
        "float32": "REAL",
        "float64": "DOUBLE PRECISION",
        "string": "TEXT",
        "binary": "BYTEA",
        "date": "DATE",
        "time": "TIME",
        "timestamp": "TIMESTAMP",
        "timestamptz": "TIMESTAMP WITH TIME ZONE",
    },
    decimal="NUMERIC({precision},{scale})",
    max_decimal_precision=1000,
    index_partition=True,
)

SNOWFLAKE = Dialect(
    name="snowflake",
    param="%s",  # the connector's default client-side "pyformat" binding
    types={
        "bool": "BOOLEAN",
        "int8": "SMALLINT",
        "int16": "SMALLINT",
        "int32": "INTEGER",
        "int64": "BIGINT",
        "float32": "FLOAT",
        "float64": "FLOAT",
        "string": "VARCHAR",
        "binary": "BINARY",
        "date": "DATE",
        "time": "TIME",
        "timestamp": "TIMESTAMP_NTZ",
        "timestamptz": "TIMESTAMP_TZ",
    },
    decimal="NUMBER({precision},{scale})",
    max_decimal_precision=38,
    upper_case=True,
)
