"""`strataflow discover`: catalog -> inferred relationships -> proposed registry (+ catalog snapshot)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from strataflow.discover.catalog import Catalog, read_catalog
from strataflow.discover.db import SourceDB
from strataflow.discover.proposal import RegistryProposal, propose_registry, render_registry
from strataflow.discover.relationships import infer_foreign_keys


@dataclass
class Discovery:
    catalog: Catalog
    proposal: RegistryProposal
    text: str


def discover(db: SourceDB, source: str, *, pii_enabled: bool, tables: list[str] | None = None) -> Discovery:
    catalog = read_catalog(db, source, tables)
    infer_foreign_keys(db, catalog)
    proposal = propose_registry(db, catalog, pii_enabled=pii_enabled)
    declared = sum(not fk.inferred for t in catalog.tables for fk in t.foreign_keys)
    inferred = sum(fk.inferred for t in catalog.tables for fk in t.foreign_keys)
    header = (
        f"Table registry of source {source!r}, PROPOSED by `strataflow discover` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"from the {catalog.dialect} catalog of {catalog.database!r}: {len(catalog.tables)} tables, "
        f"{declared} declared and {inferred} inferred foreign keys.\n"
        "Every guess carries a comment saying why: review them, then commit this file.\n"
        "`strataflow discover --source NAME --diff` shows what changed in the source since."
    )
    if catalog.skipped:
        header += "\nNot proposed: " + "; ".join(f"{t} ({why})" for t, why in catalog.skipped.items())
    return Discovery(catalog, proposal, render_registry(proposal, header))


def snapshot_path(configs_dir: Path, source: str) -> Path:
    """The catalog as last discovered, for --diff (next to the registries, not read by the loader)."""
    return configs_dir / "catalog" / f"{source}.json"


def save_snapshot(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(catalog.to_dict(), indent=1, sort_keys=True) + "\n")


def load_snapshot(path: Path) -> Catalog | None:
    return Catalog.from_dict(json.loads(path.read_text())) if path.exists() else None
