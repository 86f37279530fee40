"""Column naming: configured renames, then snake_case (the rule itself: strataflow.config.naming)."""

from __future__ import annotations

from strataflow.config.naming import snake_case, src_name

__all__ = ["output_names", "snake_case"]


def output_names(columns: list[str], renames: dict[str, str]) -> dict[str, str]:
    """Map each source column to its SRC name; two columns landing on one name is an error."""
    mapping = {c: src_name(c, renames.get(c)) for c in columns}
    seen: dict[str, str] = {}
    for source, target in mapping.items():
        if target in seen:
            raise ValueError(
                f"columns {seen[target]!r} and {source!r} both become {target!r} after renaming; "
                f"add a rename for one of them under columns:"
            )
        seen[target] = source
    return mapping
