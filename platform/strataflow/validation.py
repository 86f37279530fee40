"""Live validation: every configured table and column exists in its source."""

from __future__ import annotations

from strataflow.config import ConfigProblem, Project
from strataflow.config.source_check import column_problems, missing_table
from strataflow.connections import open_reader


def check_sources(project: Project) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for source in project.registries:
        reader = open_reader(project, source)
        for ref in (r for r in project.tables() if r.source == source):
            try:
                columns = [c.name for c in reader.columns(ref.name)]
            except LookupError as error:
                problems.append(missing_table(ref, error))
                continue
            problems.extend(column_problems(ref, columns))
    return problems
