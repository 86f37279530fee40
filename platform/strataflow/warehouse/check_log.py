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
        text = None if details is None else json.dumps(details, default=str, sort_keys=True)[:8000]
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


def record_checks(warehouse: Any, rows: list[CheckRow]) -> None:
    """Append the rows to audit.check_results (every SQL warehouse has append_audit)."""
    if rows:
        warehouse.append_audit(CHECK_TABLE, CHECK_COLUMNS, [r.params() for r in rows])
