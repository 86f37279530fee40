"""Check a table entry against the columns the source really has (the part YAML alone cannot tell)."""

from __future__ import annotations

from strataflow.config.errors import ConfigError, ConfigProblem
from strataflow.config.identifiers import is_safe_identifier
from strataflow.config.loader import TableRef


def missing_table(ref: TableRef, error: Exception) -> ConfigProblem:
    return ConfigProblem(
        ref.file,
        ref.key_path("name"),
        f"table {ref.name!r} does not exist in source {ref.source!r} ({error})",
        "fix the name or remove the entry",
    )


def column_problems(ref: TableRef, source_columns: list[str]) -> list[ConfigProblem]:
    """Columns the entry names that the source lacks, and source columns whose names would reach SQL,
    Parquet and the warehouse unsafe (they must be renamed or excluded in the entry)."""
    available = set(source_columns)
    problems = unsafe_column_problems(ref, source_columns)
    for sub_path, column in ref.config.referenced_columns().items():
        if column not in available:
            problems.append(
                ConfigProblem(
                    ref.file,
                    ref.key_path(sub_path),
                    f"column {column!r} does not exist in {ref.source}.{ref.name}",
                    f"use one of: {', '.join(source_columns)}",
                )
            )
    return problems


def unsafe_column_problems(ref: TableRef, source_columns: list[str]) -> list[ConfigProblem]:
    handled = {name for name, cfg in ref.config.columns.items() if cfg.rename or cfg.exclude}
    return [
        ConfigProblem(
            ref.file,
            ref.key_path("columns"),
            f"source column {column!r} of {ref.source}.{ref.name} is not a safe identifier "
            "(letters, digits and underscores, not starting with a digit, at most 63 characters)",
            f"add `{column!r}: {{rename: <plain_name>}}` (or `{{exclude: true}}`) under columns: of this table",
        )
        for column in source_columns
        if not is_safe_identifier(column) and column not in handled
    ]


def require_columns(ref: TableRef, source_columns: list[str]) -> None:
    if problems := column_problems(ref, source_columns):
        raise ConfigError(problems)
