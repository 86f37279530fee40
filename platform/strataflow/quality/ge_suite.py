"""Map our suite items onto Great Expectations 1.x expectations (imported lazily by the runner).

Each GE expectation carries `meta={"strataflow": index}` so its result is mapped back to the item;
`types_match` becomes one ExpectColumnValuesToBeOfType per expected column, grouped back into one result.
"""

from __future__ import annotations

import math
from typing import Any

from strataflow.config.expectations import (
    BetweenArgs,
    ColumnsArgs,
    DateFormatArgs,
    Expectation,
    InSetArgs,
    LengthArgs,
    PreviousArgs,
    RegexArgs,
    RowCountArgs,
    UniqueArgs,
)

SCHEMA_KINDS = frozenset({"columns_match", "types_match"})  # need only the schema: run on a zero-row frame
# Checked row by row: their result counts unexpected rows (and samples them with their keys).
ROW_KINDS = frozenset({"not_null", "unique", "between", "length_between", "in_set", "regex", "date_format"})


def _mostly(args: Any) -> dict[str, float]:
    mostly = getattr(args, "mostly", None)
    return {"mostly": mostly} if mostly is not None else {}


def to_ge(
    item: Expectation,
    gx: Any,
    *,
    expected_columns: list[str],
    expected_dtypes: dict[str, str],
    previous_rows: int | None,
) -> list[Any]:
    """The GE expectations for one item (empty when it cannot apply, e.g. no previous partition)."""
    E = gx.expectations
    meta = {"strataflow": item.index}
    args = item.args
    if item.kind == "not_null":
        assert isinstance(args, ColumnsArgs)
        return [E.ExpectColumnValuesToNotBeNull(column=c, meta=meta, **_mostly(args)) for c in args.columns]
    if item.kind == "unique":
        assert isinstance(args, UniqueArgs)
        if len(args.columns) == 1:
            return [E.ExpectColumnValuesToBeUnique(column=args.columns[0], meta=meta)]
        return [E.ExpectCompoundColumnsToBeUnique(column_list=list(args.columns), meta=meta)]
    if item.kind == "between":
        assert isinstance(args, BetweenArgs)
        return [
            E.ExpectColumnValuesToBeBetween(
                column=args.column, min_value=args.min, max_value=args.max, meta=meta, **_mostly(args)
            )
        ]
    if item.kind == "length_between":
        assert isinstance(args, LengthArgs)
        return [
            E.ExpectColumnValueLengthsToBeBetween(
                column=args.column, min_value=args.min, max_value=args.max, meta=meta, **_mostly(args)
            )
        ]
    if item.kind == "in_set":
        assert isinstance(args, InSetArgs)
        return [
            E.ExpectColumnValuesToBeInSet(column=args.column, value_set=list(args.values), meta=meta, **_mostly(args))
        ]
    if item.kind == "regex":
        assert isinstance(args, RegexArgs)
        return [E.ExpectColumnValuesToMatchRegex(column=args.column, regex=args.pattern, meta=meta, **_mostly(args))]
    if item.kind == "date_format":
        assert isinstance(args, DateFormatArgs)
        return [
            E.ExpectColumnValuesToMatchStrftimeFormat(
                column=args.column, strftime_format=args.format, meta=meta, **_mostly(args)
            )
        ]
    if item.kind == "row_count_between":
        assert isinstance(args, RowCountArgs)
        return [E.ExpectTableRowCountToBeBetween(min_value=args.min, max_value=args.max, meta=meta)]
    if item.kind == "row_count_vs_previous":
        assert isinstance(args, PreviousArgs)
        if previous_rows is None:
            return []
        floor = math.ceil(previous_rows * (1 - args.max_drop))
        return [E.ExpectTableRowCountToBeBetween(min_value=floor, max_value=None, meta=meta)]
    if item.kind == "columns_match":
        return [E.ExpectTableColumnsToMatchSet(column_set=list(expected_columns), exact_match=True, meta=meta)]
    if item.kind == "types_match":
        return [E.ExpectColumnValuesToBeOfType(column=c, type_=t, meta=meta) for c, t in expected_dtypes.items()]
    raise ValueError(f"unknown expectation kind {item.kind!r}")
