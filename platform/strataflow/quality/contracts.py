"""Schema contracts: the source columns a table was first extracted with, and what changed since.

The baseline lives in the lake beside the table's partitions (`raw/<source>/<table>/_schema.json`).
`evolve` (the default) lets a change through, records it and moves the baseline for added columns and
changed types; a dropped column stays in the baseline, so the suite's `columns_match` reports it.
`freeze` fails the extract on any change, before anything is written.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import pyarrow as pa

from strataflow.config.loader import TableRef
from strataflow.extract.types import SourceColumn, arrow_schema
from strataflow.lake import LakeStorage

SCHEMA_FILE = "_schema.json"


class SchemaContractError(RuntimeError):
    """A frozen table's source columns changed; nothing was written."""


@dataclass(frozen=True)
class SchemaChange:
    column: str
    change: str  # added | dropped | type changed
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.change == "type changed":
            return f"column {self.column!r} type changed from {self.before} to {self.after}"
        return f"column {self.column!r} {self.change}" + (
            f" ({self.after or self.before})" if self.after or self.before else ""
        )

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def baseline_key(ref: TableRef) -> str:
    return f"raw/{ref.source}/{ref.name}/{SCHEMA_FILE}"


def read_baseline(storage: LakeStorage, ref: TableRef) -> pa.Schema | None:
    key = baseline_key(ref)
    if not storage.exists(key):
        return None
    data = json.loads(storage.read_bytes(key))
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["arrow_schema"])))


def write_baseline(storage: LakeStorage, ref: TableRef, schema: pa.Schema, changes: list[SchemaChange]) -> None:
    payload = {
        "columns": [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema],
        "arrow_schema": base64.b64encode(schema.serialize().to_pybytes()).decode(),
        "updated_at": datetime.now(UTC).isoformat(),
        "last_changes": [c.to_dict() for c in changes],
    }
    storage.write_bytes_atomic(baseline_key(ref), json.dumps(payload, indent=2).encode())


def compare(baseline: pa.Schema, current: pa.Schema) -> list[SchemaChange]:
    """Added, dropped and retyped columns, in the source's column order."""
    before = {f.name: f for f in baseline}
    after = {f.name: f for f in current}
    changes = [SchemaChange(n, "added", None, str(f.type)) for n, f in after.items() if n not in before]
    changes += [SchemaChange(n, "dropped", str(f.type), None) for n, f in before.items() if n not in after]
    changes += [
        SchemaChange(n, "type changed", str(before[n].type), str(f.type))
        for n, f in after.items()
        if n in before and not before[n].type.equals(f.type)
    ]
    return changes


@dataclass(frozen=True)
class ContractOutcome:
    changes: list[SchemaChange]
    baseline: pa.Schema  # the baseline once the extract commits (evolve moves it)
    first: bool  # no baseline existed: this extract sets it


def check_contract(storage: LakeStorage, ref: TableRef, columns: list[SourceColumn]) -> ContractOutcome:
    """Compare the source's columns with the baseline; under `freeze` a change raises SchemaContractError."""
    current = arrow_schema(columns)
    baseline = read_baseline(storage, ref)
    if baseline is None:
        return ContractOutcome([], current, first=True)
    changes = compare(baseline, current)
    if changes and ref.config.schema_contract == "freeze":
        raise SchemaContractError(
            f"{ref.source}.{ref.name} has schema_contract: freeze and its source changed: "
            + "; ".join(str(c) for c in changes)
            + f". Nothing was written. Fix: revert the source change, or set schema_contract: evolve for the "
            f"table in {ref.file} ({ref.key_path()}) to let it through"
        )
    if not changes:
        return ContractOutcome([], baseline, first=False)
    kept = [f for f in baseline if f.name not in current.names]  # dropped columns stay expected
    evolved = pa.schema([*current, *kept])
    return ContractOutcome(changes, evolved, first=False)
