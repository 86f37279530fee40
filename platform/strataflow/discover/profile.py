"""Table profiles computed in the source as SQL over a bounded sample (or the whole table with full=True):
null ratio, distinct count, min/max, top values, string lengths, value patterns, candidate keys, likely
slowly changing columns and PII candidates. Only aggregates and at most PATTERN_VALUES values per column
come back, so memory does not grow with the table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from strataflow.discover.catalog import Catalog, Column, Table
from strataflow.discover.db import SourceDB
from strataflow.discover.patterns import PII_PATTERNS, matching_patterns, pii_by_name

DEFAULT_SAMPLE_ROWS = 50_000
TOP_VALUES = 10
PATTERN_VALUES = 200


@dataclass
class ColumnProfile:
    name: str
    source_type: str
    kind: str
    nullable: bool
    nulls: int = 0
    null_ratio: float = 0.0
    distinct: int = 0
    min: Any = None
    max: Any = None
    min_length: int | None = None
    max_length: int | None = None
    avg_length: float | None = None
    top_values: list[tuple[Any, int]] = field(default_factory=list)
    patterns: dict[str, float] = field(default_factory=dict)
    pii: str | None = None
    candidate_key: bool = False
    slowly_changing: bool = False
    description: str = ""


@dataclass
class TableProfile:
    name: str
    row_count: int
    sampled_rows: int
    full: bool
    columns: list[ColumnProfile]
    candidate_keys: list[list[str]]
    description: str = ""


def _plain(value: Any) -> Any:
    """JSON-friendly scalar (dates as ISO text, decimals as text so nothing is rounded)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return value


def _length_fn(db: SourceDB) -> str:
    return "CHAR_LENGTH" if db.dialect == "mysql" else "LENGTH"


def profile_table(db: SourceDB, table: Table, *, sample_rows: int | None = DEFAULT_SAMPLE_ROWS) -> TableProfile:
    cols = [c for c in table.columns if c.kind != "binary" and c.arrow_type is not None]
    names = ", ".join(db.q(c.name) for c in cols) or "1"
    limit = f" LIMIT {int(sample_rows)}" if sample_rows else ""
    sample = f"(SELECT {names} FROM {db.q(table.name)}{limit}) s"
    length = _length_fn(db)
    selects = ["COUNT(*)"]
    for c in cols:
        q = f"s.{db.q(c.name)}"
        selects += [f"SUM(CASE WHEN {q} IS NULL THEN 1 ELSE 0 END)", f"COUNT(DISTINCT {q})", f"MIN({q})", f"MAX({q})"]
        if c.kind == "string":
            selects += [f"MIN({length}({q}))", f"MAX({length}({q}))", f"AVG({length}({q}))"]
    row = db.query(f"SELECT {', '.join(selects)} FROM {sample}")[0]
    sampled = int(row[0] or 0)
    profiles, i = [], 1
    for c in cols:
        nulls, distinct, low, high = row[i : i + 4]
        i += 4
        p = ColumnProfile(c.name, c.source_type, c.kind, c.nullable, description=c.comment)
        p.nulls, p.distinct = int(nulls or 0), int(distinct or 0)
        p.null_ratio = round(p.nulls / sampled, 6) if sampled else 0.0
        p.min, p.max = _plain(low), _plain(high)
        if c.kind == "string":
            p.min_length, p.max_length = row[i], row[i + 1]
            p.avg_length = round(float(row[i + 2]), 2) if row[i + 2] is not None else None
            i += 3
        profiles.append(p)
    full = not sample_rows or sampled < sample_rows
    for c, p in zip(cols, profiles, strict=True):
        _details(db, sample, c, p, sampled)
        p.candidate_key = sampled > 0 and p.nulls == 0 and p.distinct == sampled
        p.pii = _pii(c, p)
    keys = [[p.name] for p in profiles if p.candidate_key]
    for declared in [table.primary_key, *table.unique_keys]:
        if declared and len(declared) > 1 and declared not in keys:
            keys.append(declared)
    key_columns = {c for k in [table.primary_key, *keys] for c in k}
    for p in profiles:
        # an attribute with few values per many rows, in a table with a key: a dimension attribute that
        # changes now and then (an scd2 satellite candidate), not an identifier or a measure
        p.slowly_changing = (
            bool(table.primary_key)
            and p.name not in key_columns
            and p.kind in ("string", "boolean", "numeric")
            and 1 < p.distinct <= max(2, sampled // 10)
            and not p.name.lower().endswith(("_at", "_id"))
        )
    return TableProfile(table.name, table.row_count, sampled, full, profiles, keys, table.comment)


def _details(db: SourceDB, sample: str, column: Column, p: ColumnProfile, sampled: int) -> None:
    q = f"s.{db.q(column.name)}"
    if p.distinct and p.distinct < sampled - p.nulls:  # all distinct: every value is a top value of 1
        p.top_values = [
            (_plain(v), int(n))
            for v, n in db.query(
                f"SELECT {q}, COUNT(*) AS n FROM {sample} WHERE {q} IS NOT NULL GROUP BY {q} "
                f"ORDER BY n DESC, {q} LIMIT {TOP_VALUES}"
            )
        ]
    if column.kind == "string" and p.distinct:
        values = [
            str(v)
            for (v,) in db.query(f"SELECT DISTINCT {q} FROM {sample} WHERE {q} IS NOT NULL LIMIT {PATTERN_VALUES}")
        ]
        p.patterns = matching_patterns(values)


def _pii(column: Column, p: ColumnProfile) -> str | None:
    reasons = [r for r in [pii_by_name(column.name)] if r]
    hits = [f"values look like {k} {v:.0%}" for k, v in p.patterns.items() if k in PII_PATTERNS]
    return "; ".join(reasons + hits) or None


@dataclass
class SourceProfile:
    source: str
    catalog: Catalog
    tables: list[TableProfile]
    sample_rows: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sample_rows": self.sample_rows,
            "catalog": self.catalog.to_dict(),
            "tables": [asdict(t) for t in self.tables],
        }


def profile_source(
    db: SourceDB, catalog: Catalog, *, tables: list[str] | None = None, sample_rows: int | None = DEFAULT_SAMPLE_ROWS
) -> SourceProfile:
    chosen = [t for t in catalog.tables if not tables or t.name in tables]
    return SourceProfile(
        catalog.source, catalog, [profile_table(db, t, sample_rows=sample_rows) for t in chosen], sample_rows
    )
