"""Generate the dbt sources YAML from the table registry: a new table in the YAML is a new dbt source."""

from __future__ import annotations

import json
from pathlib import Path

from strataflow.config import Project, TableRef

HEADER = """\
# GENERATED from configs/sources/{source}.yaml (into the dbt build folder on every code location load, or
# by `strataflow dbt-sources --out DIR`). Edit the registry, not this file. Each table maps to the SRC
# asset [src, {source}, <table>].
# Tests live here only for full snapshots: a change log holds a key once per partition it changed in.
"""


def _describe(ref: TableRef) -> str:
    """The registry's description (shared with the data dictionary and the Dagster assets), then the load type."""
    what = (
        "latest full snapshot"
        if ref.config.load_type == "full"
        else ("change log: one row per key per partition in which it changed")
    )
    text = f"{ref.config.load_type}: {what}"
    return f"{ref.config.description.rstrip('.')}. ({text})" if ref.config.description else text


def render_source(source: str, tables: list[TableRef]) -> str:
    lines = [
        HEADER.format(source=source).rstrip("\n"),
        "version: 2",
        "sources:",
        f"  - name: {source}",
        "    schema: src",
        f"    description: SRC tables of the {source} source (see docs/architecture.md, SRC table contract).",
        "    tables:",
    ]
    for ref in tables:
        cfg = ref.config
        keys = [cfg.output_name(c) for c in cfg.primary_key]
        lines += [
            f"      - name: {cfg.name}",
            f"        identifier: {ref.warehouse_table}",
            f"        description: {json.dumps(_describe(ref))}",
            "        config:",
            "          meta:",
            f"            dagster: {{asset_key: [src, {source}, {cfg.name}]}}",
            f"            strataflow: {{load_type: {cfg.load_type}, primary_key: [{', '.join(keys)}]}}",
        ]
        described = {cfg.output_name(c): d.description for c, d in cfg.columns.items() if d.description}
        if keys or described:
            lines.append("        columns:")
            for column in [*keys, *(c for c in described if c not in keys)]:
                lines.append(f"          - name: {column}")
                if column in described:
                    lines.append(f"            description: {json.dumps(described[column])}")
                if column in keys and cfg.load_type == "full":
                    lines.append("            data_tests: [not_null, unique]")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def sources_dir(dbt_dir: Path) -> Path:
    return dbt_dir / "models" / "sources"


def write_sources(project: Project, dbt_dir: Path) -> list[Path]:
    """Write one <source>.yml per registry into dbt_dir/models/sources (see write_sources_to)."""
    return write_sources_to(project, sources_dir(dbt_dir))


def write_sources_to(project: Project, target: Path) -> list[Path]:
    """Write one <source>.yml per registry (only when its content changed); remove stale generated ones."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    wanted = set()
    for source in sorted(project.registries):
        path = target / f"{source}.yml"
        wanted.add(path.name)
        text = render_source(source, [r for r in project.tables() if r.source == source])
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    for stale in target.glob("*.yml"):
        if stale.name not in wanted and stale.read_text().startswith("# GENERATED"):
            stale.unlink()
            written.append(stale)
    return written
