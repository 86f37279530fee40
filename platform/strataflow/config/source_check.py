"""Check a table entry against the columns the source really has (the part YAML alone cannot tell)."""

from __future__ import annotations

from strataflow.config.errors import ConfigError, ConfigProblem
from strataflow.config.loader import TableRef


def missing_table(ref: TableRef, error: Exception) -> ConfigProblem:
    return ConfigProblem(
        ref.file,
        ref.key_path("name"),
        f"table {ref.name!r} does not exist in source {ref.source!r} ({error})",
        "fix the name or remove the entry",
    )


def column_problems(ref: TableRef, source_columns: list[str]) -> list[ConfigProblem]:
    available = set(source_columns)
    problems = []
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


def require_columns(ref: TableRef, source_columns: list[str]) -> None:
    if problems := column_problems(ref, source_columns):
        raise ConfigError(problems)
