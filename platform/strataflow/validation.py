"""Live validation: every configured table and column exists in its source."""

from __future__ import annotations

from strataflow.cli_errors import explain
from strataflow.config import ConfigProblem, Project
from strataflow.config.source_check import column_problems, missing_table
from strataflow.connections import open_reader


def check_sources(project: Project, *, raise_errors: bool = False) -> list[ConfigProblem]:
    """Problems of every table against its live source; a source that cannot be reached is one problem
    at its connection's key path (not a traceback, not one per table), unless raise_errors (--debug)."""
    problems: list[ConfigProblem] = []
    for source in project.registries:
        reader = open_reader(project, source)
        for ref in (r for r in project.tables() if r.source == source):
            try:
                columns = [c.name for c in reader.columns(ref.name)]
            except LookupError as error:
                problems.append(missing_table(ref, error))
                continue
            except Exception as error:
                if raise_errors:
                    raise
                problems.append(_unreachable(project, source, error))
                break
            problems.extend(column_problems(ref, columns))
    return problems


def _unreachable(project: Project, source: str, error: Exception) -> ConfigProblem:
    explained = explain(error, "validate")
    return ConfigProblem(
        project.configs_dir / "platform.yaml",
        f"environments.{project.env_name}.sources.{source}",
        f"cannot read source {source!r}: {explained.what}",
        explained.fix,
    )
