"""Row builders shared by the generator (initial state) and the simulator (daily changes).

Rows are plain tuples in the column order of `schema.TABLES`, so they can go straight into
executemany; values are Python types (datetime, Decimal, bytes, int) adapted per dialect later.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from strataflow.demo import vocabulary as vocab
from strataflow.demo.dbio import CENT

Row = tuple[object, ...]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_DAY = 86_400.0


def random_ts(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A timestamp in [lo, hi) with microsecond resolution (real, non-zero microseconds)."""
    span = (hi - lo) // timedelta(microseconds=1)
    return lo + timedelta(microseconds=rng.randrange(max(1, span)))


def later(rng: random.Random, t: datetime, max_seconds: float, hi: datetime) -> datetime:
    """A timestamp in [t, min(t + max_seconds, hi)): moves time forward without leaving the range."""
    return random_ts(rng, t, min(t + timedelta(seconds=max_seconds), hi))


def weighted(rng: random.Random, options: tuple[str, ...], weights: tuple[int, ...]) -> str:
    return rng.choices(options, weights)[0]


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


# --- categories -------------------------------------------------------------------------------


def category_rows(rng: random.Random, lo: datetime, hi: datetime) -> list[Row]:
    """The fixed 2-level category tree (4 parents, 8 children = 12 rows), ids parents first."""
    rows: list[Row] = []
    parent_ids: list[int] = []
    for parent, _children in vocab.CATEGORY_TREE:
        parent_ids.append(len(rows) + 1)
        rows.append((len(rows) + 1, parent, None, later(rng, lo, 86_400, hi)))
    for parent_id, (_parent, children) in zip(parent_ids, vocab.CATEGORY_TREE, strict=True):
        for child in children:
            rows.append((len(rows) + 1, child, parent_id, later(rng, lo, 86_400, hi)))
    return rows


def leaf_category_ids() -> list[int]:
    parents = len(vocab.CATEGORY_TREE)
    children = sum(len(c) for _p, c in vocab.CATEGORY_TREE)
    return list(range(parents + 1, parents + children + 1))


# --- vendors ----------------------------------------------------------------------------------


def vendor_country(rng: random.Random) -> str:
    return weighted(rng, tuple(vocab.VENDOR_CURRENCY), vocab.VENDOR_COUNTRY_WEIGHTS)


def vendor_email(vendor_id: int, name: str, salt: int = 0) -> str:
    slug = _ascii_slug(name.rsplit(" ", 1)[0])[:30] or "vendor"
    suffix = f"-{salt}" if salt else ""
    return f"sales{suffix}@{slug}{vendor_id}.example.com"


def vendor_row(
    rng: random.Random,
    vendor_id: int,
    country: str,
    created_at: datetime,
    updated_at: datetime,
    deleted_at: datetime | None = None,
) -> Row:
    words = (rng.choice(vocab.VENDOR_WORDS), rng.choice(vocab.VENDOR_NOUNS), vocab.VENDOR_SUFFIXES[country])
    name = " ".join(words)
    return (vendor_id, name, vendor_email(vendor_id, name), country, created_at, updated_at, deleted_at)


# --- customers --------------------------------------------------------------------------------


def customer_email(first: str, last: str, customer_id: int, salt: int = 0) -> str:
    local = ".".join(s for s in (_ascii_slug(first), _ascii_slug(last)) if s) or "customer"
    tag = f"+{salt}" if salt else ""
    return f"{local}.{customer_id}{tag}@mail.example.com"


def customer_city(rng: random.Random, country: str) -> str | None:
    return rng.choice(vocab.CITIES[country])


def customer_phone(rng: random.Random, country: str, always: bool = False) -> str | None:
    if not always and rng.random() < 0.2:
        return None
    return f"{vocab.PHONE_PREFIX[country]} {rng.randrange(100, 999)} {rng.randrange(1_000_000, 9_999_999)}"


def customer_preferences(rng: random.Random, country: str) -> str | None:
    if rng.random() < 0.4:
        return None
    prefs: dict[str, object] = {
        "newsletter": rng.random() < 0.5,
        "language": vocab.LANGUAGES[country],
        "favourite_categories": sorted(rng.sample(leaf_category_ids(), rng.randrange(0, 3))),
    }
    if rng.random() < 0.15:
        prefs["nickname"] = rng.choice(vocab.NICKNAMES)
    return json.dumps(prefs, ensure_ascii=False, sort_keys=True)


def customer_row(
    rng: random.Random,
    customer_id: int,
    created_at: datetime,
    updated_at: datetime,
    deleted_at: datetime | None = None,
) -> Row:
    country = weighted(rng, vocab.CUSTOMER_COUNTRIES, vocab.CUSTOMER_COUNTRY_WEIGHTS)
    first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
    return (
        customer_id,
        first,
        last,
        customer_email(first, last, customer_id),
        customer_phone(rng, country),
        country,
        customer_city(rng, country),
        customer_preferences(rng, country),
        created_at,
        updated_at,
        deleted_at,
    )


# --- products ---------------------------------------------------------------------------------


def product_price(rng: random.Random) -> Decimal:
    """Prices from 1.99 to ~2500, skewed low (log-uniform-ish), always 2 decimal places."""
    cents = int(199 * (1250 ** rng.random()))
    return (Decimal(cents) / 100).quantize(CENT)


def product_row(
    rng: random.Random,
    product_id: int,
    vendor_id: int,
    currency: str,
    created_at: datetime,
    updated_at: datetime,
    status: str = "active",
    deleted_at: datetime | None = None,
) -> Row:
    name = (
        f"{rng.choice(vocab.PRODUCT_ADJECTIVES)} {rng.choice(vocab.PRODUCT_MATERIALS)} "
        f"{rng.choice(vocab.PRODUCT_NOUNS)}"
    )
    pad = rng.random()
    if pad < 0.02:
        name = f"  {name}"
    elif pad < 0.05:
        name = f"{name}  "
    thumbnail = PNG_MAGIC + rng.randbytes(rng.randrange(4, 48)) if rng.random() < 0.03 else None
    return (
        product_id,
        vendor_id,
        rng.choice(leaf_category_ids()),
        f"SKU-{vendor_id:05d}-{product_id:08d}",
        name,
        product_price(rng),
        currency,
        status,
        thumbnail,
        created_at,
        updated_at,
        deleted_at,
    )


# --- orders -----------------------------------------------------------------------------------


@dataclass
class ItemDraft:
    order_item_id: int
    product_id: int
    quantity: int
    unit_price: Decimal
    discount: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.quantity * self.unit_price - self.discount


@dataclass
class OrderDraft:
    """An order before its lifecycle is decided: items and total are fixed at creation."""

    order_id: int
    customer_id: int
    currency: str
    shipping_note: str | None
    is_test: int
    ordered_at: datetime
    created_at: datetime
    items: list[ItemDraft] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((i.line_total for i in self.items), Decimal("0.00"))

    def order_row(self, status: str, updated_at: datetime) -> Row:
        return (
            self.order_id,
            self.customer_id,
            status,
            self.currency,
            self.total,
            self.shipping_note,
            self.is_test,
            self.ordered_at,
            self.created_at,
            updated_at,
        )

    def item_rows(self, returned_at: dict[int, datetime] | None = None) -> list[Row]:
        """Item rows; items in `returned_at` are flagged returned and updated at that time."""
        returned_at = returned_at or {}
        return [
            (
                i.order_item_id,
                self.order_id,
                i.product_id,
                i.quantity,
                i.unit_price,
                i.discount,
                int(i.order_item_id in returned_at),
                self.created_at,
                returned_at.get(i.order_item_id, self.created_at),
            )
            for i in self.items
        ]


def draft_order(
    rng: random.Random,
    order_id: int,
    first_item_id: int,
    customer_id: int,
    currency: str,
    products: Sequence[tuple[int, Decimal]],
    created_at: datetime,
    lo: datetime,
    available: int | None = None,
) -> OrderDraft:
    """An order of 1-4 distinct products (≈2.5 on average) from the first `available` of `products`.

    `products` holds (product_id, price) pairs; `available` lets callers offer a prefix (the
    products that existed at `created_at`) without copying. ordered_at is the shopper's clock, up to
    2 s before the record was written, never before `lo`.
    """
    available = len(products) if available is None else available
    ordered_at = max(lo, created_at - timedelta(microseconds=rng.randrange(2_000_000)))
    note = rng.choice(vocab.SHIPPING_NOTES) if rng.random() < 0.1 else None
    is_test = int(rng.random() < 0.005)
    order = OrderDraft(order_id, customer_id, currency, note, is_test, ordered_at, created_at)
    n_items = min(rng.randint(1, 4), available)
    for offset, index in enumerate(rng.sample(range(available), n_items)):
        product_id, price = products[index]
        quantity = rng.choices((1, 2, 3, 4, 5), (70, 18, 6, 4, 2))[0]
        discount = Decimal("0.00")
        if rng.random() < 0.15:
            rate = Decimal(rng.choice((5, 10, 15, 20))) / 100
            discount = (quantity * price * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        order.items.append(ItemDraft(first_item_id + offset, product_id, quantity, price, discount))
    return order


def payment_method(rng: random.Random) -> str:
    return weighted(rng, vocab.PAYMENT_METHODS, vocab.PAYMENT_METHOD_WEIGHTS)


def plus(rng: random.Random, t: datetime, min_seconds: float, max_seconds: float) -> datetime:
    """t plus a random delay in [min_seconds, max_seconds) (may leave the range: callers check)."""
    return t + timedelta(microseconds=rng.randrange(int(min_seconds * 1e6), int(max_seconds * 1e6)))


def play_order(
    rng: random.Random, order: OrderDraft, first_payment_id: int, hi: datetime
) -> tuple[Row, list[Row], list[Row]]:
    """Play an order's lifecycle forward and keep the part that happened before `hi`.

    placed -> paid -> shipped -> delivered (-> returned), or cancelled before/after payment.
    The payment follows: pending -> captured, voided (cancelled unpaid) or refunded.
    """
    t0 = order.created_at
    paid_at = plus(rng, t0, 300, 3 * 3600)
    events: list[tuple[datetime, str]] = [(paid_at, "paid")]
    roll = rng.random()
    if roll < 0.025:
        events = [(plus(rng, t0, 600, _DAY), "cancelled")]
    elif roll < 0.05:
        events.append((plus(rng, paid_at, 600, _DAY / 2), "cancelled"))
    else:
        shipped = plus(rng, paid_at, 4 * 3600, 2 * _DAY)
        delivered = plus(rng, shipped, _DAY, 4 * _DAY)
        events += [(shipped, "shipped"), (delivered, "delivered")]
        if rng.random() < 0.06:
            events.append((plus(rng, delivered, _DAY, 10 * _DAY), "returned"))
    happened = [e for e in events if e[0] < hi]
    updated, status = happened[-1] if happened else (t0, "placed")
    was_paid = any(s == "paid" for _t, s in happened)

    returned_at: dict[int, datetime] = {}
    if status == "returned":
        returned_at = {i.order_item_id: updated for i in order.items}
    elif status == "delivered" and len(order.items) > 1 and rng.random() < 0.03:
        partial = plus(rng, updated, _DAY, 10 * _DAY)
        if partial < hi:
            returned_at = {rng.choice(order.items).order_item_id: partial}

    payments: list[Row] = []
    total, method = order.total, payment_method(rng)
    created = later(rng, t0, 60, hi)
    if rng.random() < 0.04:  # a failed attempt first; some are cleaned up (soft-deleted) later
        failed_updated = later(rng, created, 30, hi)
        deleted = later(rng, failed_updated, 2 * _DAY, hi) if rng.random() < 0.3 else None
        payments.append(
            (first_payment_id, order.order_id, method, total, "failed", None, created,
             deleted or failed_updated, deleted)
        )  # fmt: skip
        created, method = later(rng, failed_updated, 120, hi), payment_method(rng)
    pay_status, paid, pay_updated = {
        "placed": ("pending", None, created),
        "paid": ("captured", paid_at, paid_at),
        "shipped": ("captured", paid_at, paid_at),
        "delivered": ("captured", paid_at, paid_at),
        "returned": ("refunded", paid_at, updated),
        "cancelled": ("refunded", paid_at, updated) if was_paid else ("voided", None, updated),
    }[status]
    payments.append(
        (first_payment_id + len(payments), order.order_id, method, total, pay_status, paid, created,
         pay_updated, None)
    )  # fmt: skip
    return order.order_row(status, updated), order.item_rows(returned_at), payments


# --- reviews, stock ledger, price history ------------------------------------------------------

REVIEW_TITLES = ("Great value", "Does the job", "Not as described", "Love it", "Broke after a week", "Solid ⭐")
RATING_WEIGHTS = (10, 8, 12, 25, 45)  # 1..5 stars: reviews skew positive, with an angry tail


def review_rating(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5), RATING_WEIGHTS)[0]


def review_row(
    rng: random.Random,
    review_id: int,
    product_id: int,
    customer_id: int,
    created_at: datetime,
    updated_at: datetime,
    deleted_at: datetime | None = None,
) -> Row:
    title = rng.choice(REVIEW_TITLES) if rng.random() < 0.7 else None
    return (review_id, product_id, customer_id, review_rating(rng), title, created_at, updated_at, deleted_at)


def movement_row(
    movement_id: int,
    product_id: int,
    movement_type: str,
    quantity: int,
    moved_at: datetime,
    order_item_id: int | None = None,
    booked_at: datetime | None = None,
) -> Row:
    """A stock movement; `booked_at` (created_at = updated_at) defaults to moved_at (booked on time)."""
    booked = booked_at or moved_at
    return (movement_id, product_id, movement_type, quantity, order_item_id, moved_at, booked, booked)


def item_movements(first_id: int, items: Sequence[Row], cancelled_at: dict[int, datetime]) -> list[Row]:
    """The ledger rows of order lines: a sale when the line is written, a return when it is returned,
    and an adjustment putting the stock back when its order is cancelled (`cancelled_at` by order_id)."""
    rows: list[Row] = []
    for item in items:
        item_id, order_id, product_id, quantity = (int(item[0]), int(item[1]), int(item[2]), int(item[3]))  # type: ignore[call-overload]
        rows.append(movement_row(first_id + len(rows), product_id, "sale", -quantity, item[7], item_id))  # type: ignore[arg-type]
        if item[6]:
            rows.append(movement_row(first_id + len(rows), product_id, "return", quantity, item[8], item_id))  # type: ignore[arg-type]
        elif order_id in cancelled_at:
            rows.append(
                movement_row(first_id + len(rows), product_id, "adjustment", quantity, cancelled_at[order_id], item_id)
            )
    return rows


def receipt_quantity(rng: random.Random) -> int:
    return rng.choice((20, 50, 100, 200, 300))


def price_change_row(
    change_id: int, product_id: int, old_price: Decimal | None, new_price: Decimal, changed_at: datetime,
    booked_at: datetime | None = None,
) -> Row:  # fmt: skip
    booked = booked_at or changed_at
    return (change_id, product_id, old_price, new_price, changed_at, booked, booked)
