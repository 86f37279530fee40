"""The `audit.load_log` table: one row per load attempt, success or failure.

Its columns are declared as an Arrow schema so the same dialect DDL that creates SRC tables
creates (and, if columns are added later, migrates) the audit table on every target.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Literal

import pyarrow as pa

from strataflow.warehouse.base import LoadRequest
from strataflow.warehouse.dialects import Dialect

AUDIT_SCHEMA = "audit"
AUDIT_TABLE = "load_log"
MAX_ERROR_CHARS = 8000

_TZ = pa.timestamp("us", tz="UTC")
AUDIT_COLUMNS = pa.schema(
    [
        ("load_id", pa.string()),
        ("asset", pa.string()),
        ("partition", pa.string()),
        ("batch_id", pa.string()),
        ("rows_loaded", pa.int64()),
        ("watermark_min", _TZ),
        ("watermark_max", _TZ),
        ("started_at", _TZ),
        ("finished_at", _TZ),
        ("status", pa.string()),
        ("error", pa.string()),
    ]
)


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


@dataclass(frozen=True)
class AuditRecord:
    """Field order is the column order of AUDIT_COLUMNS."""

    load_id: str
    asset: str
    partition: str
    batch_id: str
    rows_loaded: int
    watermark_min: datetime | None
    watermark_max: datetime | None
    started_at: datetime
    finished_at: datetime
    status: Literal["success", "failed"]
    error: str | None

    @classmethod
    def of(
        cls,
        request: LoadRequest,
        *,
        load_id: str,
        rows: int,
        started_at: datetime,
        finished_at: datetime,
        error: BaseException | None = None,
    ) -> AuditRecord:
        return cls(
            load_id=load_id,
            asset=request.asset,
            partition=request.partition,
            batch_id=request.batch_id,
            rows_loaded=rows,
            watermark_min=utc(request.watermark_min),
            watermark_max=utc(request.watermark_max),
            started_at=started_at,
            finished_at=finished_at,
            status="success" if error is None else "failed",
            error=None if error is None else describe_error(error),
        )

    def params(self) -> tuple:
        return astuple(self)


def insert_sql(dialect: Dialect) -> str:
    columns = ", ".join(dialect.quote(name) for name in AUDIT_COLUMNS.names)
    table = dialect.qualify(AUDIT_SCHEMA, AUDIT_TABLE)
    return f"INSERT INTO {table} ({columns}) VALUES ({dialect.params(len(AUDIT_COLUMNS))})"
