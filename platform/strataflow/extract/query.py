"""SELECT statements built from validated, quoted identifiers; window bounds are formatted by us, not users."""

from __future__ import annotations

from datetime import datetime

from strataflow.config.identifiers import quote_identifier, quote_source_column

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
    zero_dates_as_null: frozenset[str] = frozenset(),
) -> str:
    """as_text: columns read as their text form (values the driver cannot decode exactly);
    zero_dates_as_null: MySQL date/datetime columns whose zero dates are read as NULL.

    Column names come from the source's catalog, and may be any name the source allows (the registry
    must rename or exclude the unsafe ones, see source_check.py): they are quoted with escaping."""
    q = lambda name: quote_identifier(name, dialect)  # noqa: E731
    qc = lambda name: quote_source_column(name, dialect)  # noqa: E731
    select = []
    for c in columns:
        if c in as_text:
            select.append(f"CAST({qc(c)} AS {_TEXT[dialect]}) AS {qc(c)}")
        elif c in zero_dates_as_null and dialect == "mysql":
            zero = f"MONTH({qc(c)}) = 0 OR DAYOFMONTH({qc(c)}) = 0"
            select.append(f"CASE WHEN {zero} THEN NULL ELSE {qc(c)} END AS {qc(c)}")
        else:
            select.append(qc(c))
    sql = f"SELECT {', '.join(select)} FROM {q(table)}"
    if (where := window_condition(dialect, watermark, window)) is not None:
        sql += f" WHERE {where}"
    if order_by:
        sql += " ORDER BY " + ", ".join(qc(c) for c in order_by)
    return sql


def count_sql(
    dialect: str, table: str, watermark: str | None = None, window: tuple[datetime, datetime] | None = None
) -> str:
    """COUNT(*) over the same rows select_sql reads (reconciliation's source figure)."""
    sql = f"SELECT COUNT(*) FROM {quote_identifier(table, dialect)}"
    if (where := window_condition(dialect, watermark, window)) is not None:
        sql += f" WHERE {where}"
    return sql


def window_condition(
    dialect: str, watermark: str | None = None, window: tuple[datetime, datetime] | None = None
) -> str | None:
    """The partition's row filter (watermark in [start, end)), the one every query of a partition uses:
    the extract, its source count and the zero-date probe. None without a window (a full table)."""
    if window is None:
        return None
    if watermark is None:
        raise ValueError("a window needs a watermark column")
    lo, hi = window
    column = quote_identifier(watermark, dialect)
    return f"{column} >= {_literal(lo)} AND {column} < {_literal(hi)}"
