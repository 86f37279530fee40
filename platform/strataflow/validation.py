"""Live validation: every configured table and column exists in its source."""

from __future__ import annotations

from strataflow.config import ConfigProblem, Project
from strataflow.config.source_check import column_problems, missing_table
from strataflow.connections import open_reader


def check_sources(project: Project) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for source in project.registries:
        reader = open_reader(project, source)
        refs = [r for r in project.tables() if r.source == source]
        for ref in refs:
            try:
                columns = [c.name for c in reader.columns(ref.name)]
            except LookupError as error:
                problems.append(missing_table(ref, error))
                continue
            except Exception as error:  # no file, server down, bad credentials: one problem per source
                problems.append(_unreachable(project, source, error))
                break
            problems.extend(column_problems(ref, columns))
    return problems


def _unreachable(project: Project, source: str, error: Exception) -> ConfigProblem:
    return ConfigProblem(
        project.configs_dir / "platform.yaml",
        f"environments.{project.env_name}.sources.{source}",
        f"cannot read source {source!r}: {type(error).__name__}: {error}",
        "check the connection settings and that the source is running, or run `strataflow validate --offline` "
        "to check the files only",
    )
