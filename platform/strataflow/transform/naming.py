"""Column naming: configured renames, then snake_case."""

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


def output_names(columns: list[str], renames: dict[str, str]) -> dict[str, str]:
    """Map each source column to its SRC name; two columns landing on one name is an error."""
    mapping = {c: snake_case(renames.get(c, c)) for c in columns}
    seen: dict[str, str] = {}
    for source, target in mapping.items():
        if target in seen:
            raise ValueError(
                f"columns {seen[target]!r} and {source!r} both become {target!r} after renaming; "
                f"add a rename for one of them under columns:"
            )
        seen[target] = source
    return mapping
