"""One day of realistic source changes, so incremental, SCD2 and CDC loads have something to catch.

`simulate_day` inserts customers, vendors, products, orders (with items and payments); updates
order statuses, product prices and customer emails/cities (SCD2 history); soft-deletes customers,
vendors, products and failed payments (deleted_at set, updated_at bumped); hard-deletes order
items (DELETE, only CDC hard-delete detection sees it); and back-dates a few updates to the
previous day (late-arriving data that a watermark window already closed missed).

Every change's timestamp lies in [day, day + 1) except back-dated ones, which lie in
[day - 1, day). Only rows whose updated_at is before the window they are moved into are touched,
so watermarks never go backwards. The returned `ChangeSummary` lists exactly which primary keys
changed, per table and kind; kinds are disjoint within a table. Same state + (seed, day) gives
the same changes. Call it for days after the generated range, in order.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from strataflow.demo import vocabulary as vocab
from strataflow.demo.connect import Dialect, check_dialect
from strataflow.demo.dbio import CENT, execute, execute_many, insert_rows, query, to_decimal
from strataflow.demo.rows import (
    customer_email,
    customer_phone,
    customer_row,
    draft_order,
    item_movements,
    movement_row,
    play_order,
    price_change_row,
    product_row,
    random_ts,
    receipt_quantity,
    review_rating,
    review_row,
    vendor_country,
    vendor_email,
    vendor_row,
    weighted,
)
from strataflow.demo.schema import TABLES

KINDS = ("inserted", "updated", "soft_deleted", "hard_deleted", "back_dated")
_IN_CHUNK = 500


@dataclass(frozen=True)
class TableChanges:
    """Primary keys changed in one table, by kind (ascending, disjoint).

    updated: existing rows changed with updated_at inside the day; back_dated: existing rows
    changed with updated_at on the previous day; soft_deleted: deleted_at (= updated_at) set
    inside the day; hard_deleted: rows removed by DELETE; inserted: new rows.
    """

    inserted: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()
    soft_deleted: tuple[int, ...] = ()
    hard_deleted: tuple[int, ...] = ()
    back_dated: tuple[int, ...] = ()

    def keys(self) -> frozenset[int]:
        """Every key that changed in any way."""
        return frozenset(k for kind in KINDS for k in getattr(self, kind))

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}


@dataclass(frozen=True)
class ChangeSummary:
    """What `simulate_day` did to each shop table (every table is present, possibly empty)."""

    day: date
    tables: dict[str, TableChanges]

    def __getitem__(self, table: str) -> TableChanges:
        return self.tables[table]

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: changes.counts() for name, changes in self.tables.items()}

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts().values())


def simulate_day(conn: Any, dialect: Dialect, day: date, *, seed: int, intensity: float = 0.02) -> ChangeSummary:
    """Apply one day of changes in one transaction.

    `intensity` sets the daily volume relative to the source's size: about intensity * scale new
    orders and intensity * (table size) changes elsewhere. Inserts balance deletes, so the volume
    stays steady over months of simulated days instead of compounding.
    """
    check_dialect(dialect)
    if not 0 < intensity <= 1:
        raise ValueError(f"intensity must be in (0, 1], got {intensity}")
    sim = _DaySimulation(conn, dialect, day, random.Random(f"strataflow-shop:{seed}:{day.isoformat()}"), intensity)
    # the stock ledger and price history draw from their own stream, so the other tables' changes stay
    # what they were before those tables existed
    sim.ledger_rng = random.Random(f"strataflow-shop-ledger:{seed}:{day.isoformat()}")
    try:
        sim.run()
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return sim.summary()


def _chunks(values: Sequence[int], size: int = _IN_CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _DaySimulation:
    conn: Any
    dialect: Dialect
    day: date
    rng: random.Random
    intensity: float
    changes: dict[str, dict[str, set[int]]] = field(init=False)

    def __post_init__(self) -> None:
        self.lo = datetime.combine(self.day, time.min)
        self.hi = self.lo + timedelta(days=1)
        self.prev_lo = self.lo - timedelta(days=1)
        self.changes = {table: {kind: set() for kind in KINDS} for table in TABLES}
        self.ledger_rng = random.Random(0)  # replaced by simulate_day
        # filled by the entity steps, used by the order step
        self.order_customers: list[int] = []
        self.order_products: dict[str, list[tuple[int, Decimal]]] = {}

    # --- helpers --------------------------------------------------------------------------------

    def run(self) -> None:
        self.customers()
        self.vendors_and_products()
        self.orders()
        self.payment_cleanup()
        self.restock()
        self.reviews()

    def summary(self) -> ChangeSummary:
        return ChangeSummary(
            self.day,
            {
                table: TableChanges(**{kind: tuple(sorted(keys)) for kind, keys in kinds.items()})
                for table, kinds in self.changes.items()
            },
        )

    def record(self, table: str, kind: str, keys: Iterable[int]) -> None:
        recorded = self.changes[table]
        for key in keys:
            if any(key in seen for seen in recorded.values()):
                raise AssertionError(f"{table} key {key} changed twice in one simulated day")
            recorded[kind].add(key)

    def how_many(self, expected: float, minimum: int = 0) -> int:
        """Stochastic rounding of an expected count (so small expectations still happen sometimes)."""
        whole = int(expected)
        return max(minimum, whole + (self.rng.random() < expected - whole))

    def least(self, population: int, threshold: int = 20) -> int:
        """Minimum count of a change kind: 1 once a table is big enough that it should happen daily."""
        return int(population >= threshold)

    def take(self, candidates: list[Any], n: int) -> list[Any]:
        """Remove and return n random candidates (fewer if there are not enough)."""
        picked = set(self.rng.sample(range(len(candidates)), min(n, len(candidates))))
        chosen = [c for i, c in enumerate(candidates) if i in picked]
        candidates[:] = [c for i, c in enumerate(candidates) if i not in picked]
        return chosen

    def now(self) -> datetime:
        return random_ts(self.rng, self.lo, self.hi)

    def times(self, n: int) -> list[datetime]:
        """n sorted timestamps in the day, so new ids grow with created_at."""
        return sorted(self.now() for _ in range(n))

    def yesterday(self) -> datetime:
        return random_ts(self.rng, self.prev_lo, self.lo)

    def q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return query(self.conn, self.dialect, sql, params)

    def next_id(self, table: str) -> int:
        """Max key + 1: the simulator never hard-deletes a table's highest key, so ids are never reused."""
        key = TABLES[table].primary_key
        return int(self.q(f"SELECT COALESCE(MAX({key}), 0) FROM {table}")[0][0]) + 1

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        insert_rows(self.conn, self.dialect, table, TABLES[table].column_names, rows)
        self.record(table, "inserted", (int(r[0]) for r in rows))  # type: ignore[call-overload]

    def update(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        execute_many(self.conn, self.dialect, sql, rows)

    def soft_delete(self, table: str, keys: list[int]) -> None:
        key = TABLES[table].primary_key
        rows = []
        for k in keys:
            ts = self.now()
            rows.append((ts, ts, k))
        self.update(f"UPDATE {table} SET deleted_at = {{p}}, updated_at = {{p}} WHERE {key} = {{p}}", rows)
        self.record(table, "soft_deleted", keys)

    def select_in(self, sql: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """Run `sql` (containing `{ids}`) for chunks of ids; concatenate the rows."""
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(ids):
            marks = ", ".join(["{p}"] * len(chunk))
            rows += self.q(sql.replace("{ids}", marks), chunk)
        return rows

    # --- customers ------------------------------------------------------------------------------

    def customers(self) -> None:
        alive = self.q(
            "SELECT customer_id, first_name, last_name, email, phone, country, city, "
            "CASE WHEN updated_at < {p} THEN 1 ELSE 0 END FROM customers "
            "WHERE deleted_at IS NULL AND updated_at < {p} ORDER BY customer_id",
            [self.prev_lo, self.lo],
        )
        size, least = self.intensity * len(alive), self.least(len(alive))
        old = [c for c in alive if c[7]]
        back_dated = self.take(old, self.how_many(size * 0.05, least))
        rest = [c for c in alive if c not in back_dated]
        updated = self.take(rest, self.how_many(size * 0.5, least))
        deleted = self.take(rest, self.how_many(size * 0.05, least))
        self.order_customers = [int(c[0]) for c in alive if c not in deleted]

        rows = []
        for when, group in ((self.yesterday, back_dated), (self.now, updated)):
            for customer_id, first, last, email, phone, country, city, _old in group:
                change = self.rng.choice(("email", "city", "email+city", "phone"))
                new_city, new_email, new_phone = city, email, phone
                if "city" in change:
                    other_cities = [c for c in vocab.CITIES[country] if c != city]
                    new_city = self.rng.choice(other_cities) if other_cities else city
                if change == "phone":
                    new_phone = customer_phone(self.rng, country, always=True)
                if "email" in change or (new_city, new_phone) == (city, phone):
                    new_email = customer_email(first, last, customer_id, salt=self.day.toordinal())
                rows.append((new_email, new_city, new_phone, when(), customer_id))
        self.update(
            "UPDATE customers SET email = {p}, city = {p}, phone = {p}, updated_at = {p} WHERE customer_id = {p}",
            rows,
        )
        self.record("customers", "back_dated", (int(c[0]) for c in back_dated))
        self.record("customers", "updated", (int(c[0]) for c in updated))
        self.soft_delete("customers", [int(c[0]) for c in deleted])

        first_id = self.next_id("customers")
        created = self.times(self.how_many(size * 0.05, least))  # as many join as leave
        self.insert("customers", [customer_row(self.rng, first_id + i, t, t) for i, t in enumerate(created)])

    # --- vendors and products -------------------------------------------------------------------

    def vendors_and_products(self) -> None:
        vendors = self.q(
            "SELECT vendor_id, name, country FROM vendors "
            "WHERE deleted_at IS NULL AND updated_at < {p} ORDER BY vendor_id",
            [self.lo],
        )
        size = self.intensity * len(vendors)
        candidates = list(vendors)
        least = self.least(len(vendors), 10)
        updated = self.take(candidates, self.how_many(size * 0.5, least))
        deleted = self.take(candidates, min(self.how_many(size * 0.1, least), max(0, len(candidates) - 3)))
        self.update(
            "UPDATE vendors SET email = {p}, updated_at = {p} WHERE vendor_id = {p}",
            [(vendor_email(v[0], v[1], salt=self.day.toordinal()), self.now(), v[0]) for v in updated],
        )
        self.record("vendors", "updated", (int(v[0]) for v in updated))
        self.soft_delete("vendors", [int(v[0]) for v in deleted])
        first_id = self.next_id("vendors")
        created = self.times(self.how_many(size * 0.1, least))
        new_vendors = [
            vendor_row(self.rng, first_id + i, vendor_country(self.rng), t, t) for i, t in enumerate(created)
        ]
        self.insert("vendors", new_vendors)
        self.products([v for v in vendors if v not in deleted])

    def products(self, vendors: list[tuple[Any, ...]]) -> None:
        alive = self.q(
            "SELECT product_id, price, currency, CASE WHEN updated_at < {p} THEN 1 ELSE 0 END "
            "FROM products WHERE deleted_at IS NULL AND status = 'active' AND updated_at < {p} "
            "ORDER BY product_id",
            [self.prev_lo, self.lo],
        )
        size, least = self.intensity * len(alive), self.least(len(alive))
        old = [p for p in alive if p[3]]
        back_dated = self.take(old, self.how_many(size * 0.02, least))
        rest = [p for p in alive if p not in back_dated]
        repriced = self.take(rest, self.how_many(size * 0.5, least))
        discontinued = self.take(rest, self.how_many(size * 0.05))
        deleted = self.take(rest, self.how_many(size * 0.05, least))
        for product_id, price, currency, _old in rest:  # unchanged today: safe to order
            self.order_products.setdefault(currency, []).append((int(product_id), to_decimal(price)))

        rows, prices = [], []
        for late, group in ((True, back_dated), (False, repriced)):
            for product_id, price, _currency, _old in group:
                old_price = to_decimal(price)
                new_price = max(Decimal("0.99"), (old_price * Decimal(self.rng.uniform(0.8, 1.25))).quantize(CENT))
                if new_price == old_price:
                    new_price += CENT
                changed = self.yesterday() if late else self.now()
                rows.append((new_price, changed, product_id))
                # a back-dated repricing reaches the price history late: booked today, effective yesterday
                booked = random_ts(self.ledger_rng, self.lo, self.hi) if late else changed
                prices.append((int(product_id), old_price, new_price, changed, booked))
        self.update("UPDATE products SET price = {p}, updated_at = {p} WHERE product_id = {p}", rows)
        first_change = self.next_id("price_changes")
        self.insert(
            "price_changes",
            [price_change_row(first_change + i, *p) for i, p in enumerate(sorted(prices, key=lambda p: p[4]))],
        )
        self.update(
            "UPDATE products SET status = 'discontinued', updated_at = {p} WHERE product_id = {p}",
            [(self.now(), p[0]) for p in discontinued],
        )
        self.record("products", "back_dated", (int(p[0]) for p in back_dated))
        self.record("products", "updated", (int(p[0]) for p in repriced + discontinued))
        self.soft_delete("products", [int(p[0]) for p in deleted])

        if vendors:
            first_id = self.next_id("products")
            rows = []
            for i, t in enumerate(self.times(self.how_many(size * 0.1, least))):  # replaces the leavers
                vendor_id, _name, country = self.rng.choice(vendors)
                currency = vocab.VENDOR_CURRENCY[country]
                rows.append(product_row(self.rng, first_id + i, int(vendor_id), currency, t, t))
            self.insert("products", rows)
            first_change, first_move = self.next_id("price_changes"), self.next_id("inventory_movements")
            self.insert(
                "price_changes",
                [price_change_row(first_change + i, r[0], None, r[5], r[9]) for i, r in enumerate(rows)],  # type: ignore[arg-type]
            )
            self.insert(
                "inventory_movements",
                [
                    movement_row(first_move + i, int(r[0]), "receipt", receipt_quantity(self.ledger_rng), r[9])  # type: ignore[call-overload,arg-type]
                    for i, r in enumerate(rows)
                ],
            )

    # --- orders, items, payments ----------------------------------------------------------------

    def orders(self) -> None:
        open_orders = self.q(
            "SELECT order_id, status, CASE WHEN updated_at < {p} THEN 1 ELSE 0 END FROM orders "
            "WHERE status IN ('placed', 'paid', 'shipped', 'delivered') AND updated_at < {p} "
            "ORDER BY order_id",
            [self.prev_lo, self.lo],
        )
        # ~5 orders per live customer in the initial state: a steady daily volume, not compounding
        n_new = self.how_many(self.intensity * 5 * max(len(self.order_customers), 10), 1)
        by_status: dict[str, list[int]] = {s: [] for s in ("placed", "paid", "shipped", "delivered")}
        for order_id, status, _old in open_orders:
            by_status[status].append(int(order_id))
        old_shipped = [int(o[0]) for o in open_orders if o[1] == "shipped" and o[2]]

        # late-arriving delivery confirmations
        back_dated = self.take(old_shipped, self.how_many(n_new * 0.01, 1))
        late = set(back_dated)
        by_status["shipped"] = [o for o in by_status["shipped"] if o not in late]
        self.set_status([(o, "delivered", self.yesterday()) for o in back_dated], "back_dated")

        self.remove_items(by_status["placed"], self.how_many(n_new * 0.01, 1))

        moves: list[tuple[int, str, datetime]] = []
        for status, share, cancel, target in (
            ("placed", 0.8, 0.06, "paid"),
            ("paid", 0.6, 0.04, "shipped"),
            ("shipped", 0.4, 0.0, "delivered"),
        ):
            for order_id in self.take(by_status[status], self.how_many(len(by_status[status]) * share)):
                moves.append((order_id, "cancelled" if self.rng.random() < cancel else target, self.now()))
        returns = self.take(by_status["delivered"], self.how_many(n_new * 0.05))
        moves += [(order_id, "returned", self.now()) for order_id in returns]
        self.set_status(moves, "updated")
        self.new_orders(n_new)

    def set_status(self, moves: list[tuple[int, str, datetime]], kind: str) -> None:
        """Move orders to a new status and follow with their main payment and (returns) items."""
        if not moves:
            return
        self.update(
            "UPDATE orders SET status = {p}, updated_at = {p} WHERE order_id = {p}",
            [(status, ts, order_id) for order_id, status, ts in moves],
        )
        self.record("orders", kind, (m[0] for m in moves))
        payments = {
            int(order_id): (int(payment_id), status)
            for payment_id, order_id, status in self.select_in(
                "SELECT payment_id, order_id, status FROM payments WHERE order_id IN ({ids}) "
                "AND status IN ('pending', 'captured') AND deleted_at IS NULL",
                [m[0] for m in moves],
            )
        }
        payment_rows = []
        for order_id, status, ts in moves:
            payment_id, payment_status = payments[order_id]
            if status == "paid":
                payment_rows.append(("captured", ts, ts, payment_id))
            elif status == "returned" or (status == "cancelled" and payment_status == "captured"):
                payment_rows.append(("refunded", None, ts, payment_id))
            elif status == "cancelled":
                payment_rows.append(("voided", None, ts, payment_id))
        self.update(
            "UPDATE payments SET status = {p}, paid_at = COALESCE({p}, paid_at), updated_at = {p} "
            "WHERE payment_id = {p}",
            payment_rows,
        )
        self.record("payments", kind, (r[3] for r in payment_rows))

        returned_at = {order_id: ts for order_id, status, ts in moves if status == "returned"}
        items = self.select_in(
            "SELECT order_item_id, order_id, product_id, quantity FROM order_items "
            "WHERE order_id IN ({ids}) AND is_returned = 0",
            sorted(returned_at),
        )
        self.update(
            "UPDATE order_items SET is_returned = 1, updated_at = {p} WHERE order_item_id = {p}",
            [(returned_at[int(order_id)], item_id) for item_id, order_id, _p, _q in items],
        )
        self.record("order_items", kind, (int(i[0]) for i in items))
        cancelled_at = {order_id: ts for order_id, status, ts in moves if status == "cancelled"}
        restocked = self.select_in(
            "SELECT order_item_id, order_id, product_id, quantity FROM order_items WHERE order_id IN ({ids})",
            sorted(cancelled_at),
        )
        # stock goes back on the shelf: a return for a returned line, an adjustment for a cancelled order
        self.movements(
            [("return", returned_at[int(o)], int(p), int(q), int(i)) for i, o, p, q in items]
            + [("adjustment", cancelled_at[int(o)], int(p), int(q), int(i)) for i, o, p, q in restocked]
        )

    def remove_items(self, placed: list[int], n: int) -> None:
        """Shoppers drop an item from unpaid orders: DELETE it, re-total the order and its payment.

        The highest item id of an order is never removed, so the table's max id never goes away.
        """
        items: dict[int, list[tuple[int, int, Decimal, Decimal]]] = {}
        for item_id, order_id, quantity, unit_price, discount in self.select_in(
            "SELECT order_item_id, order_id, quantity, unit_price, discount FROM order_items "
            "WHERE order_id IN ({ids}) ORDER BY order_item_id",
            placed,
        ):
            items.setdefault(int(order_id), []).append(
                (int(item_id), int(quantity), to_decimal(unit_price), to_decimal(discount))
            )
        candidates = [o for o in placed if len(items.get(o, ())) >= 2]
        chosen = self.take(candidates, n)
        for order_id in chosen:
            placed.remove(order_id)
        removed, orders, payments = [], [], []
        for order_id in chosen:
            lines = items[order_id]
            gone = self.rng.choice(lines[:-1])
            removed.append(gone[0])
            total = sum((q * p - d for i, q, p, d in lines if i != gone[0]), Decimal("0.00"))
            ts = self.now()
            orders.append((total, ts, order_id))
            payments.append((total, ts, order_id))
        released = {
            int(i): (int(p), int(q))
            for i, p, q in self.select_in(
                "SELECT order_item_id, product_id, quantity FROM order_items WHERE order_item_id IN ({ids})", removed
            )
        }
        removed_at = {gone: ts for gone, (_total, ts, _order) in zip(removed, orders, strict=True)}
        self.movements([("adjustment", removed_at[i], *released[i], i) for i in removed])
        for chunk in _chunks(removed):
            marks = ", ".join(["{p}"] * len(chunk))
            execute(self.conn, self.dialect, f"DELETE FROM order_items WHERE order_item_id IN ({marks})", chunk)
        self.update("UPDATE orders SET total_amount = {p}, updated_at = {p} WHERE order_id = {p}", orders)
        pending = self.select_in(
            "SELECT payment_id, order_id FROM payments WHERE order_id IN ({ids}) "
            "AND status = 'pending' AND deleted_at IS NULL",
            chosen,
        )
        payment_of = {int(order_id): int(payment_id) for payment_id, order_id in pending}
        self.update(
            "UPDATE payments SET amount = {p}, updated_at = {p} WHERE payment_id = {p}",
            [(total, ts, payment_of[order_id]) for total, ts, order_id in payments],
        )
        self.record("order_items", "hard_deleted", removed)
        self.record("orders", "updated", chosen)
        self.record("payments", "updated", payment_of.values())

    def new_orders(self, n: int) -> None:
        pools = {c: p for c, p in self.order_products.items() if p}
        if not pools or not self.order_customers:
            return
        currencies = tuple(pools)
        weights = tuple(vocab.CURRENCY_WEIGHTS.get(c, 1) for c in currencies)
        order_id, item_id, payment_id = (self.next_id(t) for t in ("orders", "order_items", "payments"))
        orders, items, payments = [], [], []
        for created in self.times(n):
            currency = weighted(self.rng, currencies, weights)
            customer_id = self.rng.choice(self.order_customers)
            draft = draft_order(self.rng, order_id, item_id, customer_id, currency, pools[currency], created, self.lo)
            order, order_items, order_payments = play_order(self.rng, draft, payment_id, self.hi)
            orders.append(order)
            items += order_items
            payments += order_payments
            order_id, item_id, payment_id = (
                order_id + 1,
                item_id + len(order_items),
                payment_id + len(order_payments),
            )
        self.insert("orders", orders)
        self.insert("order_items", items)
        self.insert("payments", payments)
        cancelled = {int(o[0]): o[9] for o in orders if o[2] == "cancelled"}  # type: ignore[call-overload]
        self.insert("inventory_movements", item_movements(self.next_id("inventory_movements"), items, cancelled))

    def payment_cleanup(self) -> None:
        """Failed payment attempts get soft-deleted by a housekeeping job."""
        failed = [
            int(r[0])
            for r in self.q(
                "SELECT payment_id FROM payments WHERE status = 'failed' AND deleted_at IS NULL "
                "AND updated_at < {p} ORDER BY payment_id",
                [self.lo],
            )
        ]
        already = self.changes["payments"]
        failed = [p for p in failed if not any(p in keys for keys in already.values())]
        self.soft_delete("payments", self.take(failed, self.how_many(len(failed) * self.intensity * 2, 1)))

    # --- stock and reviews ----------------------------------------------------------------------

    def movements(self, moves: list[tuple[str, datetime, int, int, int | None]]) -> None:
        """Insert (type, moved_at, product_id, quantity, order_item_id) movements, booked when they happen."""
        first = self.next_id("inventory_movements")
        rows = [
            movement_row(first + i, product_id, kind, quantity, when, item_id)
            for i, (kind, when, product_id, quantity, item_id) in enumerate(sorted(moves, key=lambda m: m[1]))
        ]
        self.insert("inventory_movements", rows)

    def restock(self) -> None:
        """Receipts for live products running low; a few stock-count corrections booked a day late."""
        stock = self.q(
            "SELECT m.product_id, SUM(m.quantity) FROM inventory_movements AS m "
            "INNER JOIN products AS p ON p.product_id = m.product_id "
            "WHERE p.deleted_at IS NULL AND p.status = 'active' GROUP BY m.product_id ORDER BY m.product_id"
        )
        low = [int(p) for p, on_hand in stock if int(on_hand) < 20]
        refill = self.take(low, self.how_many(len(low) * 0.5, 1))
        first = self.next_id("inventory_movements")
        rows = [movement_row(first + i, p, "receipt", receipt_quantity(self.rng) + 100, t)
                for i, (p, t) in enumerate(zip(refill, self.times(len(refill)), strict=True))]  # fmt: skip
        counted = self.take([int(p) for p, _ in stock], self.how_many(self.intensity * len(stock) * 0.5, 1))
        booked = self.times(len(counted))
        rows += [
            movement_row(first + len(rows) + i, p, "adjustment", -self.rng.randint(1, 3), self.yesterday(), None, t)
            for i, (p, t) in enumerate(zip(counted, booked, strict=True))
        ]
        self.insert("inventory_movements", rows)

    def reviews(self) -> None:
        """New reviews by live customers of products on sale; some edited (new rating), a few moderated away."""
        old = self.q(
            "SELECT review_id, rating FROM product_reviews WHERE deleted_at IS NULL AND updated_at < {p} "
            "ORDER BY review_id",
            [self.lo],
        )
        size, least = self.intensity * len(old), self.least(len(old))
        edited = self.take(old, self.how_many(size * 0.5, least))
        moderated = self.take(old, self.how_many(size * 0.1, least))
        rows = []
        for review_id, rating in edited:
            new_rating = review_rating(self.rng)
            rows.append((new_rating if new_rating != int(rating) else int(rating) % 5 + 1, self.now(), review_id))
        self.update("UPDATE product_reviews SET rating = {p}, updated_at = {p} WHERE review_id = {p}", rows)
        self.record("product_reviews", "updated", (int(r[0]) for r in edited))
        self.soft_delete("product_reviews", [int(r[0]) for r in moderated])
        products = [p for pool in self.order_products.values() for p, _price in pool]
        if not products or not self.order_customers:
            return
        first = self.next_id("product_reviews")
        created = self.times(self.how_many(self.intensity * max(len(old), 20) * 0.5, 1))
        self.insert(
            "product_reviews",
            [
                review_row(self.rng, first + i, self.rng.choice(products), self.rng.choice(self.order_customers), t, t)
                for i, t in enumerate(created)
            ],
        )
