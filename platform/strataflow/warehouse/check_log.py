"""The `audit.check_results` table: one row per expectation (or check) evaluated on a partition.

Kept next to `audit.load_log`, so "why did src.shop__orders not change on 2025-01-03?" is one query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from strataflow.warehouse.audit import utc_now

CHECK_TABLE = "check_results"
_TZ = pa.timestamp("us", tz="UTC")
CHECK_COLUMNS = pa.schema(
    [
        ("asset", pa.string()),
        ("partition", pa.string()),
        ("check_name", pa.string()),
        ("expectation", pa.string()),
        ("severity", pa.string()),
        ("success", pa.bool_()),
        ("unexpected_count", pa.int64()),
        ("unexpected_percent", pa.float64()),
        ("details", pa.string()),
        ("run_id", pa.string()),
        ("checked_at", _TZ),
    ]
)


@dataclass(frozen=True)
class CheckRow:
    """Field order is the column order of CHECK_COLUMNS."""

    asset: str
    partition: str
    check_name: str  # quality | reconciliation | freshness | schema_contract
    expectation: str
    severity: str
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    details: str | None
    run_id: str
    checked_at: datetime

    @classmethod
    def of(
        cls,
        *,
        asset: str,
        partition: str,
        check: str,
        expectation: str,
        severity: str,
        success: bool,
        run_id: str,
        unexpected_count: int | None = None,
        unexpected_percent: float | None = None,
        details: Any = None,
    ) -> CheckRow:
        text = None if details is None else details_json(details)
        return cls(
            asset,
            partition,
            check,
            expectation,
            severity,
            success,
            unexpected_count,
            unexpected_percent,
            text,
            run_id,
            utc_now(),
        )

    def params(self) -> tuple:
        return tuple(self.__dict__[name] for name in CHECK_COLUMNS.names)


DETAILS_MAX = 8000  # characters of `details` per row: samples of long values must not bloat the audit


def details_json(details: Any) -> str:
    """`details` as JSON of at most DETAILS_MAX characters, and always valid JSON (a cut string was not, and
    every reader of the column parses it): a long `sample` loses rows from its end, the number dropped kept
    as `sample_truncated`; anything still too long becomes {"truncated": true, "chars": n, "head": ...}."""
    text = _dumps(details)
    if len(text) <= DETAILS_MAX:
        return text
    sample = details.get("sample") if isinstance(details, dict) else None
    if isinstance(sample, list):
        for keep in range(len(sample) - 1, -1, -1):
            text = _dumps({**details, "sample": sample[:keep], "sample_truncated": len(sample) - keep})
            if len(text) <= DETAILS_MAX:
                return text
    full = _dumps(details)
    head = DETAILS_MAX
    while True:  # escaping can lengthen the head: shorten it until the whole fits
        text = _dumps({"truncated": True, "chars": len(full), "head": full[:head]})
        if len(text) <= DETAILS_MAX:
            return text
        head -= len(text) - DETAILS_MAX


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def record_checks(warehouse: Any, rows: list[CheckRow]) -> None:
    """Append the rows to audit.check_results (every SQL warehouse has append_audit)."""
    if rows:
        warehouse.append_audit(CHECK_TABLE, CHECK_COLUMNS, [r.params() for r in rows])
