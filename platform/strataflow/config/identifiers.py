"""Identifier validation and quoting: config names never reach SQL unvalidated or unquoted."""

from __future__ import annotations

import re

IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
_IDENTIFIER_RE = re.compile(IDENTIFIER_PATTERN)

_QUOTES = {"mysql": "`", "sqlite": '"', "duckdb": '"', "postgres": '"', "snowflake": '"'}


def is_safe_identifier(name: str) -> bool:
    return bool(_IDENTIFIER_RE.match(name))


def check_identifier(name: str) -> str:
    """Return the name if it is a safe SQL identifier, else raise ValueError saying why."""
    if not isinstance(name, str) or not is_safe_identifier(name):
        raise ValueError(
            f"{name!r} is not a safe identifier: use letters, digits and underscores, "
            "starting with a letter or underscore, at most 63 characters"
        )
    return name


def quote_identifier(name: str, dialect: str) -> str:
    """Validate, then quote for the dialect (belt and braces: validation already excludes quotes)."""
    quote = _QUOTES[dialect]
    return f"{quote}{check_identifier(name)}{quote}"


def quote_source_column(name: str, dialect: str) -> str:
    """Quote a column name read from the source's catalog, escaping the quote character.

    Safe identifiers are quoted as usual; other names (spaces, dashes, accents) are only allowed when
    the registry renames or excludes them, and are escaped by doubling the quote character."""
    if not isinstance(name, str) or not name or any(ord(ch) < 32 for ch in name):
        raise ValueError(f"column name {name!r} cannot be quoted: it is empty or holds control characters")
    quote = _QUOTES[dialect]
    return f"{quote}{name.replace(quote, quote * 2)}{quote}"
