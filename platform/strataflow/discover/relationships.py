"""Foreign keys a schema does not declare, inferred from names and confirmed by value containment.

A column `<thing>_id` (or named like another table's single-column key) whose table is `<thing>`,
`<thing>s`, `<thing>es` or `<thing>ies` becomes a candidate; it is kept when every value of a bounded
sample of the column is found in the candidate key (an anti-join pushed into the source). Inferred keys
are marked `inferred` with the evidence."""

from __future__ import annotations

from strataflow.discover.catalog import Catalog, ForeignKey, Table
from strataflow.discover.db import SourceDB

SAMPLE_VALUES = 10_000


def _plural_forms(base: str) -> set[str]:
    forms = {base, base + "s", base + "es"}
    if base.endswith("y"):
        forms.add(base[:-1] + "ies")
    return forms


def _compatible(a: str | None, b: str | None) -> bool:
    def family(t: str | None) -> str:
        t = t or ""
        return "int" if "int" in t else "string" if "string" in t else t

    return family(a) == family(b)


def candidates(catalog: Catalog) -> list[tuple[Table, str, Table, str, str]]:
    """(child, column, parent, parent key, why) for every undeclared name match."""
    single_keys = {t.name: t.primary_key[0] for t in catalog.tables if len(t.primary_key) == 1}
    by_key: dict[str, list[str]] = {}
    for name, key in single_keys.items():
        by_key.setdefault(key, []).append(name)
    out = []
    for child in catalog.tables:
        declared = {c for fk in child.foreign_keys for c in fk.columns}
        for column in child.columns:
            name = column.name
            if name in declared or child.primary_key == [name]:
                continue
            found = None
            lowered = name.lower()
            if lowered.endswith("_id") and len(lowered) > 3:
                forms = _plural_forms(lowered[:-3])
                for parent, key in single_keys.items():
                    if parent != child.name and parent.lower() in forms and key.lower() in (lowered, "id"):
                        found = (parent, key, f"name: {name} -> {parent}.{key}")
                        break
            if found is None and name != "id":
                owners = [p for p in by_key.get(name, []) if p != child.name]
                if len(owners) == 1:
                    found = (owners[0], name, f"name: {name} is the key of {owners[0]}")
            if found is None:
                continue
            parent = catalog.table(found[0])
            assert parent is not None
            if _compatible(column.arrow_type, (parent.column(found[1]) or column).arrow_type):
                out.append((child, name, parent, found[1], found[2]))
    return out


def infer_foreign_keys(db: SourceDB, catalog: Catalog, only: str | None = None) -> None:
    """Add inferred ForeignKeys to the catalog's tables (in place); `only`: of that child table alone."""
    for child, column, parent, key, why in candidates(catalog):
        if only and child.name != only:
            continue
        c, p, k = db.q(column), db.q(parent.name), db.q(key)
        sample = f"SELECT {c} AS v FROM {db.q(child.name)} WHERE {c} IS NOT NULL LIMIT {SAMPLE_VALUES}"
        checked, missing = db.query(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM {p} WHERE {p}.{k} = s.v) "
            f"THEN 1 ELSE 0 END), 0) FROM ({sample}) s"
        )[0]
        checked, missing = int(checked or 0), int(missing or 0)
        if missing:
            continue
        evidence = f"{why}; all {checked} sampled values found" if checked else f"{why}; no values to check"
        child.foreign_keys.append(ForeignKey([column], parent.name, [key], inferred=True, reason=evidence))
