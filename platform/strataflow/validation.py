"""Live validation: every configured table and column exists in its source, and every column an
expectation suite names exists in the table's SRC form (source columns after renames and snake_case)."""

from __future__ import annotations

from strataflow.config import ConfigProblem, Project, TableRef
from strataflow.config.expectations import column_problems as suite_column_problems
from strataflow.config.source_check import column_problems, missing_table
from strataflow.connections import open_reader
from strataflow.transform.naming import output_names
from strataflow.transform.standardize import META_COLUMNS


def src_columns(ref: TableRef, source_columns: list[str]) -> list[str]:
    renames = {name: cfg.rename for name, cfg in ref.config.columns.items() if cfg.rename}
    return [*output_names(source_columns, renames).values(), *META_COLUMNS]


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
            if (ref.source, ref.name) in project.suites:
                suite = project.suites[(ref.source, ref.name)]
                problems.extend(suite_column_problems(suite, src_columns(ref, columns), f"src.{ref.warehouse_table}"))
    return problems
