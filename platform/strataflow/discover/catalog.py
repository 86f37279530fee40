"""A source's catalog: tables, columns and types, keys, indexes, foreign keys, row counts and sizes.

MySQL/MariaDB is read from information_schema with one query per view for the whole schema (not per
table: a 200-table schema costs a handful of round trips); SQLite from its pragmas. Row counts are exact
(COUNT(*)) where the engine's estimate says the table is small, the estimate otherwise."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from strataflow.config.identifiers import is_safe_identifier
from strataflow.discover.db import SourceDB
from strataflow.extract.types import UnsupportedTypeError, arrow_type_for, parse_declared_type

EXACT_COUNT_BELOW = 500_000  # estimated rows under which COUNT(*) is cheap enough to run


@dataclass
class Column:
    name: str
    source_type: str  # as declared, e.g. "decimal(12,2)", "datetime(6)", "int(11) unsigned"
    data_type: str  # the base type, e.g. "decimal", "datetime"
    nullable: bool
    arrow_type: str | None  # None: strataflow cannot extract this type
    comment: str = ""

    @property
    def kind(self) -> str:
        """numeric, string, temporal, boolean, binary or other: what profiling computes for it."""
        t = self.arrow_type or ""
        if t.startswith(("int", "uint", "decimal", "double", "float")):
            return "boolean" if self.data_type in ("bool", "boolean") else "numeric"
        if t in ("string", "large_string"):
            return "string"
        if t.startswith(("timestamp", "date", "time")):
            return "temporal"
        if t == "bool":
            return "boolean"
        if "binary" in t:
            return "binary"
        return "other"


@dataclass
class Index:
    name: str
    columns: list[str]
    unique: bool
    primary: bool = False


@dataclass
class ForeignKey:
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    inferred: bool = False
    reason: str = "declared constraint"


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    row_count: int = 0
    row_count_exact: bool = True
    size_bytes: int | None = None
    comment: str = ""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def unique_keys(self) -> list[list[str]]:
        return [i.columns for i in self.indexes if i.unique and not i.primary]

    def indexed_first(self, column: str) -> bool:
        """Whether an index starts with the column (what a range filter on it can use)."""
        return any(i.columns and i.columns[0] == column for i in self.indexes)

    @property
    def unsupported(self) -> list[Column]:
        return [c for c in self.columns if c.arrow_type is None]


@dataclass
class Catalog:
    source: str
    dialect: str
    database: str
    tables: list[Table]
    skipped: dict[str, str] = field(default_factory=dict)  # table -> why it is not in `tables`

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalog:
        tables = [
            Table(
                **{
                    **t,
                    "columns": [Column(**c) for c in t["columns"]],
                    "indexes": [Index(**i) for i in t["indexes"]],
                    "foreign_keys": [ForeignKey(**f) for f in t["foreign_keys"]],
                }
            )
            for t in data["tables"]
        ]
        return cls(data["source"], data["dialect"], data["database"], tables, data.get("skipped", {}))


def _arrow(data_type: str, precision: int | None, scale: int | None, unsigned: bool) -> str | None:
    try:
        return str(arrow_type_for(data_type, precision, scale, unsigned))
    except UnsupportedTypeError:
        return None


def read_catalog(db: SourceDB, source: str, only: list[str] | None = None) -> Catalog:
    catalog = _read_mysql(db, source) if db.dialect == "mysql" else _read_sqlite(db, source)
    if only:
        catalog.tables = [t for t in catalog.tables if t.name in only]
    for name in [t.name for t in catalog.tables if not is_safe_identifier(t.name)]:
        catalog.skipped[name] = "name is not a plain SQL identifier (letters, digits, underscores)"
    catalog.tables = [t for t in catalog.tables if t.name not in catalog.skipped]
    for table in catalog.tables:
        if not table.row_count_exact and table.row_count < EXACT_COUNT_BELOW:
            table.row_count = int(db.scalar(f"SELECT COUNT(*) FROM {db.q(table.name)}") or 0)
            table.row_count_exact = True
    return catalog


def _read_mysql(db: SourceDB, source: str) -> Catalog:
    schema = db.database
    tables: dict[str, Table] = {}
    for name, rows, data_len, index_len, comment in db.query(
        "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, TABLE_COMMENT FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        (schema,),
    ):
        tables[name] = Table(
            name,
            [],
            row_count=int(rows or 0),
            row_count_exact=False,
            size_bytes=int((data_len or 0) + (index_len or 0)),
        )
        tables[name].comment = comment or ""
    for table, name, data_type, column_type, nullable, precision, scale, comment in db.query(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, "
        "COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION",
        (schema,),
    ):
        if table not in tables:
            continue
        unsigned = "unsigned" in column_type.lower()
        arrow = _arrow(data_type, precision, scale, unsigned)
        tables[table].columns.append(Column(name, column_type, data_type, nullable == "YES", arrow, comment or ""))
    indexes: dict[tuple[str, str], Index] = {}
    for table, index, non_unique, column in db.query(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        (schema,),
    ):
        if table not in tables:
            continue
        idx = indexes.get((table, index))
        if idx is None:
            idx = indexes[(table, index)] = Index(index, [], not int(non_unique), index == "PRIMARY")
            tables[table].indexes.append(idx)
        idx.columns.append(column)
    for (table, _), idx in indexes.items():
        if idx.primary:
            tables[table].primary_key = list(idx.columns)
    fks: dict[tuple[str, str], ForeignKey] = {}
    for table, constraint, column, ref_table, ref_column in db.query(
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
        "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s AND REFERENCED_TABLE_NAME IS NOT NULL "
        "ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        (schema,),
    ):
        if table not in tables:
            continue
        fk = fks.get((table, constraint))
        if fk is None:
            fk = fks[(table, constraint)] = ForeignKey([], ref_table, [])
            tables[table].foreign_keys.append(fk)
        fk.columns.append(column)
        fk.ref_columns.append(ref_column)
    return Catalog(source, "mysql", schema, list(tables.values()))


def _read_sqlite(db: SourceDB, source: str) -> Catalog:
    tables = []
    names = [
        r[0]
        for r in db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for name in names:
        columns, pk = [], []
        for _, col, declared, notnull, _, pk_pos in db.query("SELECT * FROM pragma_table_info(%s)", (name,)):
            try:
                base, precision, scale, unsigned = parse_declared_type(declared or "text")
                arrow = _arrow(base, precision, scale, unsigned)
            except UnsupportedTypeError:
                base, arrow = (declared or "").lower(), None
            columns.append(Column(col, (declared or "text").lower(), base, not (notnull or pk_pos), arrow))
            if pk_pos:
                pk.append((pk_pos, col))
        table = Table(name, columns, [c for _, c in sorted(pk)], row_count_exact=False, row_count=0)
        if table.primary_key:
            table.indexes.append(Index("PRIMARY", table.primary_key, True, True))
        for _, index, unique, origin, _ in db.query("SELECT * FROM pragma_index_list(%s)", (name,)):
            if origin == "pk":
                continue
            cols = [r[2] for r in db.query("SELECT * FROM pragma_index_info(%s) ORDER BY seqno", (index,))]
            table.indexes.append(Index(index, cols, bool(unique)))
        fks: dict[int, ForeignKey] = {}
        for fk_id, _, ref_table, column, ref_column, *_ in db.query(
            "SELECT * FROM pragma_foreign_key_list(%s) ORDER BY id, seq", (name,)
        ):
            fk = fks.setdefault(fk_id, ForeignKey([], ref_table, []))
            fk.columns.append(column)
            fk.ref_columns.append(ref_column)
        table.foreign_keys = list(fks.values())
        tables.append(table)
    return Catalog(source, "sqlite", db.database, tables)
