"""`discover --diff`: what changed in the source against the current registry and the catalog snapshot the
last discovery saved (new and vanished tables, new or dropped columns, type changes)."""

from __future__ import annotations

from strataflow.config.models import SourceRegistry
from strataflow.discover.catalog import Catalog


def diff_catalog(live: Catalog, registry: SourceRegistry | None, snapshot: Catalog | None) -> list[str]:
    lines: list[str] = []
    configured = {t.name for t in registry.tables} if registry else set()
    known = configured | ({t.name for t in snapshot.tables} if snapshot else set())
    for table in live.tables:
        if table.name not in known:
            lines.append(
                f"+ table {table.name} ({len(table.columns)} columns, {table.row_count:,} rows): not in the registry"
            )
        elif registry and table.name not in configured:
            lines.append(f"  table {table.name}: in the source, not in the registry")
    for name in sorted(known - {t.name for t in live.tables}):
        where = "the registry" if name in configured else "the last discovery"
        lines.append(f"- table {name}: in {where}, gone from the source")
    for table in live.tables:
        before = snapshot.table(table.name) if snapshot else None
        live_cols = {c.name: c for c in table.columns}
        if before is not None:
            old_cols = {c.name: c for c in before.columns}
            for name, col in live_cols.items():
                if name not in old_cols:
                    lines.append(f"{table.name}: + column {name} {col.source_type}")
                elif old_cols[name].source_type != col.source_type:
                    lines.append(
                        f"{table.name}: ~ column {name} type {old_cols[name].source_type} -> {col.source_type}"
                    )
                elif old_cols[name].nullable != col.nullable:
                    null = "NULL" if col.nullable else "NOT NULL"
                    lines.append(f"{table.name}: ~ column {name} now {null}")
            for name in old_cols:
                if name not in live_cols:
                    lines.append(f"{table.name}: - column {name} (dropped)")
        entry = next((t for t in registry.tables if t.name == table.name), None) if registry else None
        if entry is not None:
            for key_path, column in entry.referenced_columns().items():
                if column not in live_cols:
                    lines.append(f"{table.name}: - column {column} named by the registry ({key_path}) is gone")
    return lines
