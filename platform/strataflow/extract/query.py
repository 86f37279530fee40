"""SELECT statements built from validated, quoted identifiers; window bounds are formatted by us, not users."""

from __future__ import annotations

from datetime import datetime

from strataflow.config.identifiers import quote_identifier

_TEXT = {"mysql": "CHAR", "sqlite": "TEXT"}


def _literal(ts: datetime) -> str:
    return "'" + ts.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"


def select_sql(
    dialect: str,
    table: str,
    columns: list[str],
    order_by: list[str],
    watermark: str | None = None,
    window: tuple[datetime, datetime] | None = None,
    as_text: frozenset[str] = frozenset(),
) -> str:
    """as_text: columns read as their text form (values the driver cannot decode exactly)."""
    q = lambda name: quote_identifier(name, dialect)  # noqa: E731
    select = [f"CAST({q(c)} AS {_TEXT[dialect]}) AS {q(c)}" if c in as_text else q(c) for c in columns]
    sql = f"SELECT {', '.join(select)} FROM {q(table)}"
    if window is not None:
        if watermark is None:
            raise ValueError("a window needs a watermark column")
        lo, hi = window
        sql += f" WHERE {q(watermark)} >= {_literal(lo)} AND {q(watermark)} < {_literal(hi)}"
    if order_by:
        sql += " ORDER BY " + ", ".join(q(c) for c in order_by)
    return sql


def count_sql(
    dialect: str, table: str, watermark: str | None = None, window: tuple[datetime, datetime] | None = None
) -> str:
    """COUNT(*) over the same rows select_sql reads (reconciliation's source figure)."""
    q = lambda name: quote_identifier(name, dialect)  # noqa: E731
    sql = f"SELECT COUNT(*) FROM {q(table)}"
    if window is not None:
        if watermark is None:
            raise ValueError("a window needs a watermark column")
        lo, hi = window
        sql += f" WHERE {q(watermark)} >= {_literal(lo)} AND {q(watermark)} < {_literal(hi)}"
    return sql
