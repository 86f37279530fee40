"""Map source column types (MySQL information_schema / SQLite declared types) to Arrow types."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class SourceColumn:
    name: str
    source_type: str  # as declared, e.g. "decimal(12,2)" or "bigint unsigned"
    arrow_type: pa.DataType
    nullable: bool
    zero_dates_as_null: bool = False  # MySQL zero dates ('0000-00-00', '2024-00-10') are read as NULL


class UnsupportedTypeError(ValueError):
    pass


_INTS = {"tinyint": 8, "smallint": 16, "mediumint": 32, "int": 32, "integer": 32, "bigint": 64}
_STRINGS = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"}
_BINARIES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit"}
_DECL_RE = re.compile(r"^\s*([a-z ]+?)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?\s*(unsigned)?\s*$")


def arrow_type_for(data_type: str, precision: int | None, scale: int | None, unsigned: bool) -> pa.DataType:
    """The Arrow type that keeps the source's precision: DECIMAL(p,s) stays decimal(p,s), ints keep width."""
    t = data_type.lower().strip()
    if t in _INTS:
        bits = _INTS[t]
        return getattr(pa, f"{'u' if unsigned else ''}int{bits}")()
    if t in ("decimal", "numeric"):
        p = precision or 10
        return pa.decimal128(p, scale or 0) if p <= 38 else pa.decimal256(p, scale or 0)
    if t in ("double", "real", "double precision"):
        return pa.float64()
    if t == "float":
        return pa.float32()
    if t in ("datetime", "timestamp"):
        return pa.timestamp("us")
    if t == "date":
        return pa.date32()
    if t == "time":
        return pa.time64("us")
    if t == "year":
        return pa.int16()
    if t in ("bool", "boolean"):
        return pa.bool_()
    if t in _STRINGS:
        return pa.string()
    if t in _BINARIES:
        return pa.large_binary()
    raise UnsupportedTypeError(f"unsupported source type {data_type!r}")


def parse_declared_type(declared: str) -> tuple[str, int | None, int | None, bool]:
    """Split 'DECIMAL(12,2)' / 'INT UNSIGNED' / 'DATETIME(6)' into (type, precision, scale, unsigned)."""
    match = _DECL_RE.match(declared.lower())
    if not match:
        raise UnsupportedTypeError(f"unsupported declared type {declared!r}")
    name, p, s, unsigned = match.groups()
    return name.strip(), int(p) if p else None, int(s) if s else None, bool(unsigned)


def arrow_schema(columns: list[SourceColumn]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in columns])
