"""The SRC name of a source column: one rule, owned here, that standardization, the default suite, the
gate's key columns, dbt sources and the catalog all follow (a second copy drifted once: the default
suite named a key `OrderID` while SRC held `order_id`)."""

from __future__ import annotations

import re

_BOUNDARY_1 = re.compile(r"(.)([A-Z][a-z]+)")
_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def snake_case(name: str) -> str:
    """'OrderID' -> 'order_id', 'createdAt' -> 'created_at', 'Unit Price' -> 'unit_price'."""
    name = _BOUNDARY_1.sub(r"\1_\2", name)
    name = _BOUNDARY_2.sub(r"\1_\2", name)
    return _NON_WORD.sub("_", name).strip("_").lower()


def src_name(column: str, rename: str | None = None) -> str:
    """A source column's name in SRC: its configured rename, else itself, in snake_case."""
    return snake_case(rename or column)
