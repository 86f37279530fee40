"""Validation results as plain data: what the Dagster check, the audit table and the CLI show."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

SAMPLE_SIZE = 20


@dataclass(frozen=True)
class ExpectationResult:
    name: str  # e.g. 'not_null(customer_id)'
    kind: str
    severity: str  # error | warn
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed: Any = None
    sample: list[dict[str, Any]] = field(default_factory=list)  # offending values with their primary keys
    note: str | None = None

    @property
    def blocking_failure(self) -> bool:
        return self.severity == "error" and not self.success

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ValidationReport:
    asset: str
    partition: str
    rows: int
    results: list[ExpectationResult]
    duration_s: float
    suite: str  # the suite file, or 'default suite (no file)'
    data_docs: Path | None = None

    @property
    def passed(self) -> bool:
        """True unless an `error` expectation failed: warnings never block."""
        return not any(r.blocking_failure for r in self.results)

    @property
    def failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    def summary(self) -> str:
        bad = self.failures
        if not bad:
            return f"{len(self.results)} expectations passed on {self.rows} rows"
        parts = [
            f"{r.name} [{r.severity}]: {r.unexpected_count if r.unexpected_count is not None else 'failed'}"
            + (f" ({r.unexpected_percent:.2f} %)" if r.unexpected_percent is not None else "")
            for r in bad
        ]
        return f"{len(bad)} of {len(self.results)} expectations failed on {self.rows} rows: " + "; ".join(parts)


def plain(value: Any) -> Any:
    """JSON-safe Python values (numpy scalars, NaN, Decimals, datetimes) for metadata and audit rows."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
