"""The shop schema, defined once and rendered as DDL for MySQL/MariaDB or SQLite.

SQLite gets the same column names and the same declared type strings as MySQL (`DECIMAL(12,2)`,
`DATETIME(6)`, `TINYINT(1)`, ...), because the SQLite reader maps declared types to Arrow types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strataflow.config.identifiers import quote_identifier
from strataflow.demo.connect import Dialect, check_dialect


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    default: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    primary_key: str
    columns: tuple[Column, ...]
    indexes: tuple[str, ...] = ("updated_at",)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _ts(name: str, nullable: bool = False) -> Column:
    return Column(name, "DATETIME(6)", nullable)


_CREATED, _UPDATED, _DELETED = _ts("created_at"), _ts("updated_at"), _ts("deleted_at", nullable=True)

# Dependency order: parents before children (drop runs in reverse).
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "categories",
            "category_id",
            (
                Column("category_id", "INT"),
                Column("name", "VARCHAR(100)"),
                Column("parent_category_id", "INT", nullable=True),
                _UPDATED,
            ),
        ),
        Table(
            "vendors",
            "vendor_id",
            (
                Column("vendor_id", "INT"),
                Column("name", "VARCHAR(200)"),
                Column("email", "VARCHAR(200)"),
                Column("country", "CHAR(2)"),
                _CREATED,
                _UPDATED,
                _DELETED,
            ),
        ),
        Table(
            "customers",
            "customer_id",
            (
                Column("customer_id", "BIGINT"),
                Column("first_name", "VARCHAR(100)"),
                Column("last_name", "VARCHAR(100)"),
                Column("email", "VARCHAR(200)"),
                Column("phone", "VARCHAR(40)", nullable=True),
                Column("country", "CHAR(2)"),
                Column("city", "VARCHAR(100)", nullable=True),
                Column("preferences", "JSON", nullable=True),
                _CREATED,
                _UPDATED,
                _DELETED,
            ),
        ),
        Table(
            "products",
            "product_id",
            (
                Column("product_id", "BIGINT"),
                Column("vendor_id", "INT"),
                Column("category_id", "INT"),
                Column("sku", "VARCHAR(40)"),
                Column("name", "VARCHAR(200)"),
                Column("price", "DECIMAL(12,2)"),
                Column("currency", "CHAR(3)"),
                Column("status", "VARCHAR(20)"),
                Column("thumbnail", "BLOB", nullable=True),
                _CREATED,
                _UPDATED,
                _DELETED,
            ),
        ),
        Table(
            "orders",
            "order_id",
            (
                Column("order_id", "BIGINT"),
                Column("customer_id", "BIGINT"),
                Column("status", "VARCHAR(20)"),
                Column("currency", "CHAR(3)"),
                Column("total_amount", "DECIMAL(12,2)"),
                Column("shipping_note", "VARCHAR(200)", nullable=True),
                Column("is_test", "TINYINT(1)"),
                _ts("ordered_at"),
                _CREATED,
                _UPDATED,
            ),
            indexes=("updated_at", "customer_id"),
        ),
        Table(
            "order_items",
            "order_item_id",
            (
                Column("order_item_id", "BIGINT"),
                Column("order_id", "BIGINT"),
                Column("product_id", "BIGINT"),
                Column("quantity", "INT"),
                Column("unit_price", "DECIMAL(12,2)"),
                Column("discount", "DECIMAL(12,2)", default="0"),
                Column("is_returned", "TINYINT(1)"),
                _CREATED,
                _UPDATED,
            ),
            indexes=("updated_at", "order_id"),
        ),
        Table(
            "payments",
            "payment_id",
            (
                Column("payment_id", "BIGINT"),
                Column("order_id", "BIGINT"),
                Column("method", "VARCHAR(20)"),
                Column("amount", "DECIMAL(12,2)"),
                Column("status", "VARCHAR(20)"),
                _ts("paid_at", nullable=True),
                _CREATED,
                _UPDATED,
                _DELETED,
            ),
            indexes=("updated_at", "order_id"),
        ),
        # Product reviews: a customer rates a product 1-5; reviews get edited and moderated (soft-deleted).
        Table(
            "product_reviews",
            "review_id",
            (
                Column("review_id", "BIGINT"),
                Column("product_id", "BIGINT"),
                Column("customer_id", "BIGINT"),
                Column("rating", "SMALLINT"),
                Column("title", "VARCHAR(200)", nullable=True),
                _CREATED,
                _UPDATED,
                _DELETED,
            ),
            indexes=("updated_at", "product_id"),
        ),
        # The stock ledger: receipts (+), sales (-), returns (+) and adjustments (+/-) per product.
        # moved_at is when the stock moved; a movement booked late has updated_at after moved_at.
        Table(
            "inventory_movements",
            "movement_id",
            (
                Column("movement_id", "BIGINT"),
                Column("product_id", "BIGINT"),
                Column("movement_type", "VARCHAR(20)"),
                Column("quantity", "INT"),
                Column("order_item_id", "BIGINT", nullable=True),
                _ts("moved_at"),
                _CREATED,
                _UPDATED,
            ),
            indexes=("updated_at", "product_id"),
        ),
        # Price history: one row per price a product took (old_price NULL for its first price).
        Table(
            "price_changes",
            "price_change_id",
            (
                Column("price_change_id", "BIGINT"),
                Column("product_id", "BIGINT"),
                Column("old_price", "DECIMAL(12,2)", nullable=True),
                Column("new_price", "DECIMAL(12,2)"),
                _ts("changed_at"),
                _CREATED,
                _UPDATED,
            ),
            indexes=("updated_at", "product_id"),
        ),
    )
}


def create_table_sql(table: Table, dialect: Dialect) -> list[str]:
    """CREATE TABLE (+ CREATE INDEX for SQLite, which has no inline index syntax)."""
    q = lambda name: quote_identifier(name, dialect)  # noqa: E731
    lines = []
    for col in table.columns:
        line = f"{q(col.name)} {col.type} {'NULL' if col.nullable else 'NOT NULL'}"
        if col.default is not None:
            line += f" DEFAULT {col.default}"
        lines.append(line)
    lines.append(f"PRIMARY KEY ({q(table.primary_key)})")
    index_names = [f"ix_{table.name}_{col}" for col in table.indexes]
    if dialect == "mysql":
        lines += [f"KEY {q(ix)} ({q(col)})" for ix, col in zip(index_names, table.indexes, strict=True)]
    body = ",\n  ".join(lines)
    create = f"CREATE TABLE {q(table.name)} (\n  {body}\n)"
    if dialect == "mysql":
        return [create + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"]
    indexes = [
        f"CREATE INDEX {q(ix)} ON {q(table.name)} ({q(col)})"
        for ix, col in zip(index_names, table.indexes, strict=True)
    ]
    return [create, *indexes]


def schema_sql(dialect: Dialect) -> list[str]:
    """Every statement that drops and recreates the shop schema, in execution order."""
    check_dialect(dialect)
    drops = [f"DROP TABLE IF EXISTS {quote_identifier(name, dialect)}" for name in reversed(TABLES)]
    creates = [stmt for table in TABLES.values() for stmt in create_table_sql(table, dialect)]
    return drops + creates


def create_schema(conn: Any, dialect: Dialect) -> None:
    """Drop and recreate all shop tables (the demo source is disposable)."""
    cur = conn.cursor()
    try:
        for stmt in schema_sql(dialect):
            cur.execute(stmt)
    finally:
        cur.close()
    conn.commit()
