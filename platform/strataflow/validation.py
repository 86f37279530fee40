"""Live validation: every configured table and column exists in its source, and every column an
expectation suite names exists in the table's SRC form (source columns after renames and snake_case)."""

from __future__ import annotations

import pyarrow as pa

from strataflow.cli_errors import explain
from strataflow.config import ConfigProblem, Project, TableRef
from strataflow.config.expectations import column_problems as suite_column_problems
from strataflow.config.expectations import type_problems
from strataflow.config.source_check import column_problems, missing_table
from strataflow.connections import open_reader
from strataflow.extract import SourceReader
from strataflow.quality.runner import is_text
from strataflow.transform.naming import output_names
from strataflow.transform.standardize import META_COLUMNS


def type_names(schema: pa.Schema) -> dict[str, str]:
    """Each column's type as suites' type checks name it: "string" for text, else Arrow's name."""
    return {f.name: "string" if is_text(f.type) else str(f.type) for f in schema}


def src_columns(ref: TableRef, source_columns: list[str]) -> list[str]:
    renames = {name: cfg.rename for name, cfg in ref.config.columns.items() if cfg.rename}
    kept = [c for c in source_columns if c not in ref.config.excluded_columns()]
    return [*output_names(kept, renames).values(), *META_COLUMNS]


def check_sources(project: Project, *, raise_errors: bool = False) -> list[ConfigProblem]:
    """Problems of every table against its live source; a source that cannot be reached is one problem
    at its connection's key path (not a traceback, not one per table), unless raise_errors (--debug)."""
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
            except Exception as error:
                if raise_errors:
                    raise
                problems.append(_unreachable(project, source, error))
                break
            problems.extend(column_problems(ref, columns))
            if (ref.source, ref.name) in project.suites:
                suite = project.suites[(ref.source, ref.name)]
                where = f"src.{ref.warehouse_table}"
                problems.extend(suite_column_problems(suite, src_columns(ref, columns), where))
                problems.extend(type_problems(suite, _live_src_types(reader, ref), where))
    return problems


def _unreachable(project: Project, source: str, error: Exception) -> ConfigProblem:
    explained = explain(error, "validate")
    return ConfigProblem(
        project.configs_dir / "platform.yaml",
        f"environments.{project.env_name}.sources.{source}",
        f"cannot read source {source!r}: {explained.what}",
        explained.fix,
    )


def suite_problems_from_lake(project: Project) -> list[ConfigProblem]:
    """Suites against the SRC columns of each table's recorded schema baseline (the code location's check:
    no source connection, one small read per table; tables never extracted are checked by validate)."""
    from strataflow.connections import open_storage
    from strataflow.quality.contracts import read_baseline
    from strataflow.transform import src_schema

    if not project.suites:
        return []
    try:
        storage = open_storage(project)
    except Exception:  # an unreachable lake must not stop the code location from loading
        return []
    problems: list[ConfigProblem] = []
    for ref in project.tables():
        suite = project.suites.get((ref.source, ref.name))
        if suite is None:
            continue
        try:
            baseline = read_baseline(storage, ref)
        except Exception:
            return problems
        if baseline is not None:
            schema = src_schema(baseline, ref.config)
            problems.extend(suite_column_problems(suite, schema.names, f"src.{ref.warehouse_table}"))
            problems.extend(type_problems(suite, type_names(schema), f"src.{ref.warehouse_table}"))
    return problems


def _live_src_types(reader: SourceReader, ref: TableRef) -> dict[str, str]:
    """SRC column types of the table as the source declares it now (empty if its types are unsupported:
    the extract reports those)."""
    from strataflow.extract.types import arrow_schema
    from strataflow.transform import src_schema

    try:
        schema = src_schema(arrow_schema(reader.columns(ref.name)), ref.config)
    except Exception:
        return {}
    return type_names(schema)
