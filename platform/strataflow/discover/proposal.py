"""A proposed table registry from a catalog: a load type per table, key, watermark, soft delete, partition
start and PII candidates, each guess with a YAML comment saying why. The output must pass
`strataflow validate` unchanged, so only what the platform can extract is proposed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from strataflow.discover.catalog import Catalog, Table
from strataflow.discover.db import SourceDB
from strataflow.discover.patterns import PII_PATTERNS, matching_patterns, pii_by_name

WATERMARK_NAMES = re.compile(
    r"^(updated|modified|changed|last_?modified|last_?updated|last_?update|last_?changed|update_?time|"
    r"modify_?time|mtime|ts_updated|row_?updated)(_at|_on|_ts|_time|_date|_dt)?$"
)
CREATED_NAMES = re.compile(r"^(created|inserted|create_?time|insert_?time)(_at|_on|_ts|_time|_date|_dt)?$")
DELETE_NAMES = re.compile(r"^(deleted|removed|archived)(_at|_on|_ts|_time|_date|_dt)$")
DELETE_FLAGS = re.compile(r"^(is_)?(deleted|removed|archived)(_flag)?$")
PII_SAMPLE = 200


@dataclass
class TableProposal:
    name: str
    load_type: str
    why: str
    primary_key: list[str] = field(default_factory=list)
    key_why: str = ""
    watermark: str | None = None
    watermark_why: str = ""
    soft_delete: str | None = None
    soft_delete_why: str = ""
    created: str | None = None
    pii: dict[str, str] = field(default_factory=dict)  # column -> why
    summary: str = ""
    skipped: str | None = None  # why the table is proposed commented out
    description: str = ""
    column_descriptions: dict[str, str] = field(default_factory=dict)


@dataclass
class RegistryProposal:
    source: str
    start: date
    start_why: str
    tables: list[TableProposal]
    pii_enabled: bool


def _timestamp(table: Table, name: str) -> bool:
    col = table.column(name)
    return col is not None and (col.arrow_type or "").startswith("timestamp")


def propose_table(db: SourceDB, table: Table) -> TableProposal:
    size = f", {table.size_bytes / 1e6:.1f} MB" if table.size_bytes else ""
    fks = "; ".join(
        f"{', '.join(fk.columns)} -> {fk.ref_table}.{', '.join(fk.ref_columns)}"
        f" ({'inferred: ' + fk.reason if fk.inferred else 'declared'})"
        for fk in table.foreign_keys
    )
    summary = f"{table.name}: {'' if table.row_count_exact else '~'}{table.row_count:,} rows{size}" + (
        f"; FK {fks}" if fks else ""
    )
    proposal = TableProposal(table.name, "full", "", summary=summary, description=table.comment)
    proposal.column_descriptions = {c.name: c.comment for c in table.columns if c.comment}
    if table.unsupported:
        cols = ", ".join(f"{c.name} {c.source_type}" for c in table.unsupported)
        proposal.skipped = f"columns of types strataflow cannot extract: {cols}"
        return proposal

    if table.primary_key:
        proposal.primary_key, proposal.key_why = table.primary_key, "declared primary key"
    else:
        for cols in table.unique_keys:
            if all(not (c := table.column(n)) or not c.nullable for n in cols):
                proposal.primary_key, proposal.key_why = cols, "unique index on NOT NULL columns (no primary key)"
                break

    names = [c.name for c in table.columns]
    watermarks = [n for n in names if WATERMARK_NAMES.match(n.lower()) and _timestamp(table, n)]
    watermarks.sort(key=lambda n: not table.indexed_first(n))
    if watermarks:
        w = watermarks[0]
        proposal.watermark = w
        proposal.watermark_why = (
            "change timestamp, indexed"
            if table.indexed_first(w)
            else "change timestamp (NOT indexed: each window scans the table; add an index on it)"
        )
    created = [n for n in names if CREATED_NAMES.match(n.lower()) and _timestamp(table, n)]
    proposal.created = created[0] if created else None
    deletes = [n for n in names if DELETE_NAMES.match(n.lower()) and _timestamp(table, n)]
    flags = [n for n in names if DELETE_FLAGS.match(n.lower()) and (table.column(n).kind in ("numeric", "boolean"))]  # type: ignore[union-attr]
    if deletes:
        proposal.soft_delete, proposal.soft_delete_why = deletes[0], "set when a row is deleted"
    elif flags:
        proposal.soft_delete, proposal.soft_delete_why = flags[0], "flag: a true/non-zero value marks a deleted row"

    if not proposal.primary_key:
        proposal.why = "no primary key or unique NOT NULL key: full snapshots (a change window needs a key to merge)"
        proposal.watermark = proposal.soft_delete = proposal.created = None
    elif not proposal.watermark:
        proposal.why = "no change timestamp column: full snapshots"
        proposal.soft_delete = proposal.created = None
    elif proposal.soft_delete:
        proposal.load_type = "cdc"
        proposal.why = f"key, change timestamp and soft-delete column {proposal.soft_delete}: changes with deletes"
    else:
        proposal.load_type = "incremental"
        proposal.why = "key and change timestamp: merge each day's changes (scd2 keeps their history)"
    if proposal.load_type == "full":
        proposal.soft_delete = None  # only change logs carry the D op
    proposal.pii = _pii(db, table)
    return proposal


def _pii(db: SourceDB, table: Table) -> dict[str, str]:
    found = {}
    strings = [c for c in table.columns if c.kind == "string"]
    for column in strings:
        why = pii_by_name(column.name)
        col = db.q(column.name)
        values = [
            str(r[0])
            for r in db.query(
                f"SELECT {col} FROM {db.q(table.name)} WHERE {col} IS NOT NULL AND {col} <> '' LIMIT {PII_SAMPLE}"
            )
        ]
        patterns = {p: s for p, s in matching_patterns(values).items() if p in PII_PATTERNS}
        if patterns:
            shares = ", ".join(f"{p} {s:.0%}" for p, s in patterns.items())
            why = f"{why + '; ' if why else ''}values look like {shares}"
        if why:
            found[column.name] = why
    return found


def partition_start(db: SourceDB, catalog: Catalog, proposals: list[TableProposal]) -> tuple[date, str]:
    """The earliest day of any change timestamp: one start for the source, so its tables share one job."""
    best: tuple[date, str] | None = None
    for p in proposals:
        if not p.watermark or p.skipped:
            continue
        low = db.scalar(f"SELECT MIN({db.q(p.watermark)}) FROM {db.q(p.name)}")
        if isinstance(low, str):
            low = datetime.fromisoformat(low)
        if isinstance(low, datetime | date):
            day = low.date() if isinstance(low, datetime) else low
            if best is None or day < best[0]:
                best = (day, f"earliest {p.name}.{p.watermark}")
    if best is None:
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        return yesterday, "no change timestamps found: starts yesterday"
    return best


def propose_registry(db: SourceDB, catalog: Catalog, *, pii_enabled: bool) -> RegistryProposal:
    tables = [propose_table(db, t) for t in catalog.tables]
    start, why = partition_start(db, catalog, tables)
    return RegistryProposal(catalog.source, start, why, tables, pii_enabled)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def render_registry(proposal: RegistryProposal, header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [
        "defaults:",
        f'  partitioning: {{grain: daily, start: "{proposal.start.isoformat()}"}}  # {proposal.start_why}',
        "",
        "tables:",
    ]
    for t in proposal.tables:
        lines += [*render_entry(t, proposal.pii_enabled), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_entry(t: TableProposal, pii_enabled: bool, partitioning: str | None = None) -> list[str]:
    """One table entry (indented for `tables:`), every guess with its reason as a comment."""
    entry = [f"# {t.summary}"]
    body = [f"- name: {t.name}"]
    if partitioning:
        body.append(f"  partitioning: {partitioning}")
    if t.description:
        body.append(f"  description: {_quote(t.description)}")
    body.append(f"  load_type: {t.load_type}  # {t.why}")
    if t.primary_key:
        body.append(f"  primary_key: [{', '.join(t.primary_key)}]  # {t.key_why}")
    if t.watermark:
        body.append(f"  watermark: {t.watermark}  # {t.watermark_why}")
    if t.soft_delete:
        body.append(f"  soft_delete: {t.soft_delete}  # {t.soft_delete_why}")
    if t.created:
        body.append(f"  created: {t.created}  # creation timestamp: rows created in the window get _op I")
    if t.column_descriptions:
        body.append("  columns:")
        body += [f"    {c}: {{description: {_quote(d)}}}" for c, d in t.column_descriptions.items()]
    if t.pii:
        why = "; ".join(f"{c}: {w}" for c, w in t.pii.items())
        if pii_enabled:
            body.append(f"  pii: [{', '.join(t.pii)}]  # PII candidates ({why})")
        else:
            body.append(f"  # pii: [{', '.join(t.pii)}]  # PII candidates ({why}); set the environment's")
            body.append("  #   pii_salt first, then uncomment to mask them in SRC")
    if t.skipped:
        entry.append(f"# SKIPPED: {t.skipped}")
        body = ["# " + line for line in body]
    return ["  " + line for line in entry + body]
