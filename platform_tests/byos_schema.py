"""A third-party-like MariaDB schema the project has never seen (shared by the discovery tests and bench):
declared and undeclared foreign keys, a keyless table, a soft-delete column, PII, a composite key,
DECIMAL and DATETIME(6) columns. Every change timestamp falls on DAY, so one partition loads it all."""

from __future__ import annotations

from decimal import Decimal

DAY = "2025-03-04"

DDL = [
    """CREATE TABLE customers (
        customer_id INT PRIMARY KEY COMMENT 'customer number from the CRM',
        email VARCHAR(120) NOT NULL,
        full_name VARCHAR(80),
        segment VARCHAR(10) NOT NULL,
        created_at DATETIME(6) NOT NULL,
        updated_at DATETIME(6) NOT NULL,
        deleted_at DATETIME(6) NULL,
        KEY ix_customers_updated (updated_at)
    ) COMMENT 'people who ordered at least once'""",
    """CREATE TABLE orders (
        order_id BIGINT PRIMARY KEY,
        customer_id INT NOT NULL,
        amount DECIMAL(12,2) NOT NULL,
        status VARCHAR(10) NOT NULL,
        note TEXT,
        updated_at DATETIME(6) NOT NULL,
        KEY ix_orders_updated (updated_at),
        CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id)
    )""",
    """CREATE TABLE products (
        product_code CHAR(8) PRIMARY KEY,
        label VARCHAR(50) NOT NULL,
        weight_kg DECIMAL(8,3)
    )""",
    """CREATE TABLE order_lines (
        order_id BIGINT NOT NULL,
        line_no SMALLINT NOT NULL,
        product_code CHAR(8) NOT NULL,
        qty INT NOT NULL,
        unit_price DECIMAL(10,4) NOT NULL,
        updated_at DATETIME(6) NOT NULL,
        PRIMARY KEY (order_id, line_no),
        KEY ix_lines_updated (updated_at)
    )""",
    """CREATE TABLE audit_events (
        happened_at DATETIME(6) NOT NULL,
        actor VARCHAR(40),
        payload TEXT
    )""",
]

SEGMENTS = ["retail", "pro", "vip"]
STATUSES = ["new", "paid", "shipped"]


def rows(n_customers: int = 40) -> dict[str, list[tuple]]:
    customers, orders, lines, products, events = [], [], [], [], []
    for i in range(1, 9):
        products.append((f"P{i:07d}", f"Product {i}", Decimal(f"{i}.125") if i % 3 else None))
    for c in range(1, n_customers + 1):
        ts = f"{DAY} {c % 24:02d}:{c % 60:02d}:{c % 60:02d}.{c * 1013 % 1_000_000:06d}"
        deleted = ts if c % 13 == 0 else None
        customers.append(
            (
                c,
                f"user{c}@example.org",
                f"User {c}" if c % 5 else None,
                SEGMENTS[c % 3],
                f"2024-12-{c % 28 + 1:02d} 10:00:00",
                ts,
                deleted,
            )
        )
        for o in range(c % 3):
            oid = c * 10 + o
            orders.append(
                (
                    oid,
                    c,
                    Decimal(f"{c * 7 + o}.{o * 11 % 100:02d}"),
                    STATUSES[(c + o) % 3],
                    None if o else "  keep my spaces ",
                    ts,
                )
            )
            for line in range(1, (oid % 3) + 2):
                lines.append(
                    (oid, line, f"P{(oid + line) % 8 + 1:07d}", line, Decimal(f"{line}.{oid % 10000:04d}"), ts)
                )
        events.append((ts, f"user{c}" if c % 4 else None, f'{{"k": {c}}}'))
    return {
        "customers": customers,
        "orders": orders,
        "products": products,
        "order_lines": lines,
        "audit_events": events,
    }


def create(conn) -> dict[str, list[tuple]]:
    data = rows()
    with conn.cursor() as cur:
        for ddl in DDL:
            cur.execute(ddl)
        for table in ("customers", "products", "orders", "order_lines", "audit_events"):
            values = data[table]
            marks = ", ".join(["%s"] * len(values[0]))
            cur.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    conn.commit()
    return data
