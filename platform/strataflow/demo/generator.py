"""Deterministic initial state of the shop source: `scale` orders and everything they need.

Rows are created over the `days` days from `start`; every updated_at is >= created_at and inside
that range, and later changes (status progressions, returns, soft deletes) already happened where
their time falls inside it. Ids grow with created_at like auto-increment keys (payments, written
seconds after their order, only roughly). A catalogue bootstrap in the first hour (three vendors,
one per currency, with a product each, and a customer) guarantees that every order finds a
customer and products that existed before it.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from strataflow.demo import vocabulary as vocab
from strataflow.demo.connect import Dialect, check_dialect
from strataflow.demo.dbio import insert_rows, query
from strataflow.demo.rows import (
    Row,
    category_rows,
    customer_row,
    draft_order,
    item_movements,
    later,
    movement_row,
    play_order,
    price_change_row,
    product_row,
    random_ts,
    receipt_quantity,
    review_row,
    vendor_country,
    vendor_row,
    weighted,
)
from strataflow.demo.schema import TABLES

DAY = 86_400.0
_ORDER_CHUNK = 10_000
_BOOT_CURRENCY_COUNTRIES = ("DE", "US", "GB")  # EUR, USD, GBP


def generate(conn: Any, dialect: Dialect, *, scale: int, start: date, days: int, seed: int = 7) -> dict[str, int]:
    """Fill the (empty) shop tables; return the row count per table. Same seed, same rows."""
    check_dialect(dialect)
    if scale < 1 or days < 1:
        raise ValueError(f"scale and days must be >= 1 (got scale={scale}, days={days})")
    _require_empty(conn, dialect)
    rng = random.Random(seed)
    lo = datetime.combine(start, time.min)
    hi = lo + timedelta(days=days)

    counts = {"categories": _insert(conn, dialect, "categories", category_rows(rng, lo, hi))}
    vendors = _vendor_rows(rng, max(len(_BOOT_CURRENCY_COUNTRIES), scale // 50 + 2), lo, hi)
    counts["vendors"] = _insert(conn, dialect, "vendors", vendors)
    customer_created = _sorted_times(rng, max(1, scale // 5), lo, hi, boot=(lo, lo + timedelta(minutes=40)))
    counts["customers"] = _insert(conn, dialect, "customers", _customer_rows(rng, customer_created, hi))
    products, catalogue = _products(rng, max(3, scale // 10), vendors, lo, hi)
    counts["products"] = _insert(conn, dialect, "products", products)
    counts["price_changes"] = _insert(
        conn,
        dialect,
        "price_changes",
        [price_change_row(i + 1, p[0], None, p[5], p[9]) for i, p in enumerate(products)],  # type: ignore[arg-type]
    )
    # the new tables draw from their own stream, so the rows of the others stay what they were
    ledger_rng = random.Random(f"{seed}:ledger")
    stock = _stock_rows(ledger_rng, products, hi)
    _insert(conn, dialect, "inventory_movements", stock)
    counts.update(_orders(conn, dialect, rng, scale, customer_created, catalogue, lo, hi, len(stock) + 1))
    counts["inventory_movements"] += len(stock)
    counts["product_reviews"] = _insert(
        conn,
        dialect,
        "product_reviews",
        _review_rows(ledger_rng, max(1, scale // 4), products, customer_created, lo, hi),
    )
    conn.commit()
    return counts


def _require_empty(conn: Any, dialect: Dialect) -> None:
    for table in TABLES:
        if query(conn, dialect, f"SELECT 1 FROM {table} LIMIT 1"):
            raise ValueError(f"table {table!r} is not empty: run create_schema() before generate()")


def _insert(conn: Any, dialect: Dialect, table: str, rows: list[Row]) -> int:
    return insert_rows(conn, dialect, table, TABLES[table].column_names, rows)


def _sorted_times(
    rng: random.Random, n: int, lo: datetime, hi: datetime, boot: tuple[datetime, datetime], n_boot: int = 1
) -> list[datetime]:
    """n creation times in [lo, hi), the first `n_boot` forced into the `boot` window, ascending."""
    n_boot = min(n_boot, n)
    times = [random_ts(rng, *boot) for _ in range(n_boot)]
    times += [random_ts(rng, lo, hi) for _ in range(n - n_boot)]
    return sorted(times)


def _lifecycle(
    rng: random.Random, created: datetime, hi: datetime, p_update: float, p_delete: float
) -> tuple[datetime, datetime | None]:
    """(updated_at, deleted_at): sometimes touched later, rarely soft-deleted (which bumps updated_at)."""
    updated = later(rng, created, 30 * DAY, hi) if rng.random() < p_update else created
    if rng.random() < p_delete:
        updated = later(rng, updated, 30 * DAY, hi)
        return updated, updated
    return updated, None


def _vendor_rows(rng: random.Random, n: int, lo: datetime, hi: datetime) -> list[Row]:
    boot = len(_BOOT_CURRENCY_COUNTRIES)
    times = _sorted_times(rng, n, lo, hi, boot=(lo, lo + timedelta(minutes=20)), n_boot=boot)
    rows = []
    for index, created in enumerate(times):
        country = _BOOT_CURRENCY_COUNTRIES[index] if index < boot else vendor_country(rng)
        updated, deleted = _lifecycle(rng, created, hi, 0.3, 0.03 if index >= boot else 0.0)
        rows.append(vendor_row(rng, index + 1, country, created, updated, deleted))
    return rows


def _customer_rows(rng: random.Random, created_times: list[datetime], hi: datetime) -> list[Row]:
    rows = []
    for index, created in enumerate(created_times):
        updated, deleted = _lifecycle(rng, created, hi, 0.35, 0.02)
        rows.append(customer_row(rng, index + 1, created, updated, deleted))
    return rows


@dataclass
class _Catalogue:
    """Orderable products per currency, in creation order, for "existed before t" prefix lookups."""

    created: dict[str, list[datetime]] = field(default_factory=dict)
    products: dict[str, list[tuple[int, Decimal]]] = field(default_factory=dict)

    def add(self, currency: str, created: datetime, product_id: int, price: Decimal) -> None:
        self.created.setdefault(currency, []).append(created)
        self.products.setdefault(currency, []).append((product_id, price))


def _products(
    rng: random.Random, n: int, vendors: list[Row], lo: datetime, hi: datetime
) -> tuple[list[Row], _Catalogue]:
    boot = len(_BOOT_CURRENCY_COUNTRIES)
    window = (lo + timedelta(minutes=20), lo + timedelta(minutes=40))
    times = _sorted_times(rng, n, lo, hi, boot=window, n_boot=boot)
    vendor_created = [v[4] for v in vendors]
    catalogue = _Catalogue()
    rows = []
    for index, created in enumerate(times):
        if index < boot:
            vendor = vendors[index]
        else:
            vendor = vendors[rng.randrange(max(boot, bisect_right(vendor_created, created)))]
        currency = vocab.VENDOR_CURRENCY[str(vendor[3])]
        status = "active"
        if index >= boot and rng.random() < 0.06:
            status, updated, deleted = "discontinued", later(rng, created, 60 * DAY, hi), None
        else:
            updated, deleted = _lifecycle(rng, created, hi, 0.3, 0.015 if index >= boot else 0.0)
        row = product_row(rng, index + 1, int(vendor[0]), currency, created, updated, status, deleted)  # type: ignore[arg-type]
        rows.append(row)
        if status == "active" and deleted is None:
            catalogue.add(currency, created, index + 1, row[5])  # type: ignore[arg-type]
    return rows, catalogue


def _stock_rows(rng: random.Random, products: list[Row], hi: datetime) -> list[Row]:
    """A first receipt per product when it is created; a stock-count shrinkage for some of them later."""
    rows: list[Row] = []
    for p in products:
        rows.append(movement_row(len(rows) + 1, int(p[0]), "receipt", receipt_quantity(rng), p[9]))  # type: ignore[call-overload,arg-type]
        if rng.random() < 0.1:
            when = later(rng, p[9], 30 * DAY, hi)  # type: ignore[arg-type]
            rows.append(movement_row(len(rows) + 1, int(p[0]), "adjustment", -rng.randint(1, 3), when))  # type: ignore[call-overload]
    return rows


def _review_rows(
    rng: random.Random, n: int, products: list[Row], customer_created: list[datetime], lo: datetime, hi: datetime
) -> list[Row]:
    """Reviews of products by customers who both existed at the time; some edited, a few moderated away."""
    product_created = [p[9] for p in products]
    reviews_lo = lo + timedelta(hours=1)
    rows = []
    for index, created in enumerate(_sorted_times(rng, n, reviews_lo, hi, boot=(reviews_lo, hi), n_boot=0)):
        product = products[rng.randrange(max(1, bisect_right(product_created, created)))]
        customer_id = rng.randrange(max(1, bisect_right(customer_created, created))) + 1
        updated, deleted = _lifecycle(rng, created, hi, 0.1, 0.02)
        rows.append(review_row(rng, index + 1, int(product[0]), customer_id, created, updated, deleted))  # type: ignore[call-overload]
    return rows


def _orders(
    conn: Any,
    dialect: Dialect,
    rng: random.Random,
    n: int,
    customer_created: list[datetime],
    catalogue: _Catalogue,
    lo: datetime,
    hi: datetime,
    first_movement_id: int = 1,
) -> dict[str, int]:
    """Orders with their items and payments, generated and inserted chunk by chunk (bounded memory)."""
    orders_lo = lo + timedelta(hours=1)
    times = _sorted_times(rng, n, orders_lo, hi, boot=(orders_lo, hi), n_boot=0)
    currencies = tuple(vocab.CURRENCY_WEIGHTS)
    weights = tuple(vocab.CURRENCY_WEIGHTS.values())
    counts = {"orders": 0, "order_items": 0, "payments": 0, "inventory_movements": 0}
    next_item_id, next_payment_id, next_movement_id = 1, 1, first_movement_id
    for chunk_start in range(0, n, _ORDER_CHUNK):
        orders: list[Row] = []
        items: list[Row] = []
        payments: list[Row] = []
        for offset, created in enumerate(times[chunk_start : chunk_start + _ORDER_CHUNK]):
            currency = weighted(rng, currencies, weights)
            customer_id = rng.randrange(bisect_right(customer_created, created)) + 1
            available = bisect_right(catalogue.created[currency], created)
            draft = draft_order(
                rng,
                chunk_start + offset + 1,
                next_item_id,
                customer_id,
                currency,
                catalogue.products[currency],
                created,
                orders_lo,
                available,
            )
            next_item_id += len(draft.items)
            order, order_items, order_payments = play_order(rng, draft, next_payment_id, hi)
            next_payment_id += len(order_payments)
            orders.append(order)
            items += order_items
            payments += order_payments
        counts["orders"] += _insert(conn, dialect, "orders", orders)
        counts["order_items"] += _insert(conn, dialect, "order_items", items)
        counts["payments"] += _insert(conn, dialect, "payments", payments)
        cancelled = {int(o[0]): o[9] for o in orders if o[2] == "cancelled"}  # type: ignore[call-overload]
        movements = item_movements(next_movement_id, items, cancelled)  # type: ignore[arg-type]
        next_movement_id += len(movements)
        counts["inventory_movements"] += _insert(conn, dialect, "inventory_movements", movements)
    return counts
