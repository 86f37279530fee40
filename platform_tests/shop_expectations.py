"""The shop's measures computed in plain Python from SRC-shaped rows, following the definitions in the
dbt models' YAML (dbt/models/*/_*.yml). Shared by test_dbt_project.py (hand-written change logs) and
test_pipeline_warehouse.py (the demo source's current rows).

`src` maps each shop table to its rows as SRC names them (after renames and masking), each row with
`_op` and `_partition`: a change log, or one row per key for a source's current state.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal


def md5_key(*parts: object) -> str:
    """The documented hash key: md5 of upper/trimmed parts joined by '||' (NULL as '^^')."""
    text = "||".join("^^" if p is None else str(p).strip().upper() for p in parts)
    return hashlib.md5(text.encode()).hexdigest()


def same(actual, want) -> bool:
    """Equal values; floats (rates) to 1e-9, and any numeric type against a Decimal or int."""
    if actual is None or want is None:
        return actual is None and want is None
    if isinstance(want, float):
        return abs(float(actual) - want) < 1e-9
    return actual == want


def by_key(rows: list[dict], key: str) -> dict[object, list[dict]]:
    """Each key's change-log rows in version order: (updated_at, _partition)."""
    grouped: dict[object, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["updated_at"], r["_partition"])):
        grouped[row[key]].append(row)
    return grouped


def is_deleted(row: dict) -> bool:
    return row["_op"] == "D" or row.get("deleted_at") is not None


def current(rows: list[dict], key: str, keep_deleted: bool = False) -> dict[object, dict]:
    latest = {k: history[-1] for k, history in by_key(rows, key).items()}
    return {k: r for k, r in latest.items() if keep_deleted or not is_deleted(r)}


def scd2(rows: list[dict], key: str) -> dict[object, list[tuple]]:
    """Every version as (valid_from, valid_to, is_current, is_deleted); valid_to is the next valid_from."""
    chains = {}
    for k, history in by_key(rows, key).items():
        starts = [r["updated_at"] for r in history]
        chains[k] = [
            (start, end, end is None, is_deleted(r))
            for r, start, end in zip(history, starts, [*starts[1:], None], strict=True)
        ]
    return chains


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def ratio(numerator, denominator) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


@dataclass
class Orders:
    """The order facts every measure starts from, per the definitions in dbt/models/ain/_ain.yml."""

    live: dict[object, dict]  # current orders: latest version, not deleted
    lines: list[dict]  # current lines (latest change not a delete) of current orders, with their measures
    as_of: date  # latest order date of any current order

    @classmethod
    def of(cls, src: dict[str, list[dict]]) -> Orders:
        live = current(src["orders"], "order_id")
        lines = []
        for i in current(src["order_items"], "order_item_id").values():
            o = live.get(i["order_id"])
            if o is None:
                continue
            revenue = o["status"] != "cancelled" and not o["is_test"]
            amount = i["quantity"] * i["unit_price"] - (i["discount"] or 0)
            net = amount if revenue and not i["is_returned"] else Decimal(0)
            lines.append(
                {
                    **i,
                    "customer_id": o["customer_id"],
                    "order_date": o["ordered_at"].date(),
                    "revenue_order": revenue,
                    "amount": amount,
                    "net": net,
                }
            )
        return cls(live, lines, max(o["ordered_at"].date() for o in live.values()))

    @property
    def revenue_orders(self) -> list[dict]:
        return [o for o in self.live.values() if o["status"] != "cancelled" and not o["is_test"]]

    @property
    def revenue_lines(self) -> list[dict]:
        return [x for x in self.lines if x["revenue_order"]]

    @property
    def window_start(self) -> date:
        return self.as_of - timedelta(days=29)

    def lines_of(self, order_id) -> list[dict]:
        return [x for x in self.lines if x["order_id"] == order_id]

    def net_of(self, order_id) -> Decimal:
        return sum((x["net"] for x in self.lines_of(order_id)), Decimal(0))


Expectation = dict[tuple, dict]  # {grain key: {column: value}}


def expected_ain(f: Orders) -> dict[str, Expectation]:
    orders = {}
    for oid, o in f.live.items():
        mine = f.lines_of(oid)
        orders[(oid,)] = {
            "status": o["status"],
            "order_date": o["ordered_at"].date(),
            "line_count": len(mine),
            "units": sum(x["quantity"] for x in mine),
            "returned_units": sum(x["quantity"] for x in mine if x["is_returned"]),
            "items_amount": sum(x["amount"] for x in mine),
            "returned_amount": sum(x["amount"] for x in mine if x["is_returned"]),
            "net_revenue": f.net_of(oid),
        }
    activity: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for oid, o in f.live.items():
        if o["is_test"]:
            continue
        day = activity[(o["customer_id"], o["ordered_at"].date())]
        day["order_count"] += 1
        day["cancelled_order_count"] += o["status"] == "cancelled"
        if o["status"] != "cancelled":
            day["revenue_order_count"] += 1
            day["units_sold"] += sum(x["quantity"] for x in f.lines_of(oid) if not x["is_returned"])
        day["net_revenue"] += f.net_of(oid)
    return {"ain_orders": orders, "ain_customer_daily_activity": {k: dict(v) for k, v in activity.items()}}


def expected_customers(f: Orders, src: dict[str, list[dict]]) -> dict[str, Expectation]:
    customers, features = {}, {}
    payments = current(src["payments"], "payment_id").values()
    for cid, c in current(src["customers"], "customer_id").items():
        mine = [o for o in f.revenue_orders if o["customer_id"] == cid]
        ltv = sum((f.net_of(o["order_id"]) for o in mine), Decimal(0))
        last = max((o["ordered_at"] for o in mine), default=None)
        customers[(cid,)] = {
            "city": c["city"],
            "email": c["email"],
            "order_count": len(mine),
            "lifetime_value": ltv,
            "first_order_at": min((o["ordered_at"] for o in mine), default=None),
            "last_order_at": last,
        }
        recent = [o for o in mine if o["ordered_at"].date() >= f.window_start]
        lines = [x for x in f.revenue_lines if x["customer_id"] == cid]
        order_ids = {o["order_id"] for o in mine}
        features[(cid,)] = {
            "as_of_date": f.as_of,
            "country": c["country"],
            "has_phone": c["phone"] is not None,
            "tenure_days": (f.as_of - c["created_at"].date()).days,
            "order_count": len(mine),
            "lifetime_value": ltv,
            "avg_order_value": ratio(ltv, len(mine)),
            "days_since_last_order": None if last is None else (f.as_of - last.date()).days,
            "orders_30d": len(recent),
            "revenue_30d": sum((f.net_of(o["order_id"]) for o in recent), Decimal(0)),
            "cancelled_order_count": sum(
                o["customer_id"] == cid and o["status"] == "cancelled" and not o["is_test"] for o in f.live.values()
            ),
            "distinct_products": len({x["product_id"] for x in lines}),
            "return_rate": ratio(
                sum(x["quantity"] for x in lines if x["is_returned"]), sum(x["quantity"] for x in lines)
            ),
            "payment_methods": len({p["method"] for p in payments if p["order_id"] in order_ids}),
        }
    return {"ana_customers": customers, "mrt_customer_features": features}


def expected_products(f: Orders, src: dict[str, list[dict]]) -> dict[str, Expectation]:
    daily: dict[tuple, dict] = defaultdict(
        lambda: {"orders": set(), "units_sold": 0, "returned_units": 0, "net_revenue": Decimal(0)}
    )
    for x in f.revenue_lines:
        row = daily[(x["product_id"], x["order_date"])]
        row["orders"].add(x["order_id"])
        row["returned_units" if x["is_returned"] else "units_sold"] += x["quantity"]
        row["net_revenue"] += x["net"]
    for row in daily.values():
        row["order_count"] = len(row.pop("orders"))
    out = {"ana_product_sales_daily": dict(daily)}
    for grain, period in (("weekly", monday), ("monthly", lambda d: d.replace(day=1))):
        rolled: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        for (pid, day), row in daily.items():
            for measure, value in row.items():
                rolled[(pid, period(day))][measure] += value
        out[f"ana_product_sales_{grain}"] = {k: dict(v) for k, v in rolled.items()}

    categories = {c["category_id"]: c["category_name"] for c in src["categories"]}
    vendors = current(src["vendors"], "vendor_id", keep_deleted=True)
    out["ana_products"] = {}
    for pid, p in current(src["products"], "product_id").items():
        sold = [x for x in f.revenue_lines if x["product_id"] == pid]
        recent = [x for x in sold if not x["is_returned"] and x["order_date"] >= f.window_start]
        out["ana_products"][(pid,)] = {
            "price": p["price"],
            "product_name": p["product_name"],
            "category_id": p["category_id"],
            "category_name": categories.get(p["category_id"]),
            "vendor_name": vendors[p["vendor_id"]]["vendor_name"],
            "as_of_date": f.as_of,
            "units_sold_30d": sum(x["quantity"] for x in recent),
            "revenue_30d": sum((x["net"] for x in recent), Decimal(0)),
            "lifetime_units_sold": sum(x["quantity"] for x in sold if not x["is_returned"]),
            "lifetime_returned_units": sum(x["quantity"] for x in sold if x["is_returned"]),
            "return_rate": ratio(
                sum(x["quantity"] for x in sold if x["is_returned"]), sum(x["quantity"] for x in sold)
            ),
            **product_signals(f, src, pid),
        }
    hourly: dict[tuple, dict] = defaultdict(
        lambda: {"orders": set(), "units_sold": 0, "returned_units": 0, "net_revenue": Decimal(0)}
    )
    for x in f.revenue_lines:
        hour = f.live[x["order_id"]]["ordered_at"].replace(minute=0, second=0, microsecond=0, tzinfo=None)
        row = hourly[(x["product_id"], hour)]
        row["sales_date"] = x["order_date"]
        row["orders"].add(x["order_id"])
        row["returned_units" if x["is_returned"] else "units_sold"] += x["quantity"]
        row["net_revenue"] += x["net"]
    for row in hourly.values():
        row["order_count"] = len(row.pop("orders"))
    out["ana_product_sales_hourly"] = dict(hourly)
    return out


def units_between(f: Orders, pid, first: date, last: date) -> int:
    """Units sold (not returned, revenue orders) of a product with order_date in [first, last]."""
    return sum(
        x["quantity"]
        for x in f.revenue_lines
        if x["product_id"] == pid and not x["is_returned"] and first <= x["order_date"] <= last
    )


def product_signals(f: Orders, src: dict[str, list[dict]], pid) -> dict:
    """The stock, rating, trend and price elasticity measures of ana_products, per the formulas in _ana.yml."""
    movements = [
        m for m in current(src.get("inventory_movements", []), "movement_id").values() if m["product_id"] == pid
    ]
    reviews = [r for r in current(src.get("product_reviews", []), "review_id").values() if r["product_id"] == pid]
    repricings = sorted(
        (
            c
            for c in current(src.get("price_changes", []), "price_change_id").values()
            if c["product_id"] == pid and c["old_price"] is not None and c["old_price"] != c["new_price"]
        ),
        key=lambda c: (c["changed_at"], c["price_change_id"]),
    )
    days = timedelta(days=1)
    u7 = units_between(f, pid, f.as_of - 6 * days, f.as_of)
    prev7 = units_between(f, pid, f.as_of - 13 * days, f.as_of - 7 * days)
    elasticity = None
    if repricings:
        last = repricings[-1]
        change = last["changed_at"].date()
        end = min(change + 13 * days, f.as_of)
        days_after = (end - change).days + 1
        if days_after > 0:
            before = units_between(f, pid, change - 14 * days, change - days) / 14
            after = units_between(f, pid, change, end) / days_after
            old, new = float(last["old_price"]), float(last["new_price"])
            if before + after > 0:
                elasticity = ((after - before) / ((after + before) / 2)) / ((new - old) / ((new + old) / 2))
    return {
        "inventory_on_hand": sum(m["quantity"] for m in movements),
        "review_count": len(reviews),
        "avg_rating": ratio(sum(r["rating"] for r in reviews), len(reviews)),
        "units_sold_7d": u7,
        "units_sold_prev_7d": prev7,
        "trending_score": (u7 + 1) / (prev7 + 1),
        "last_price_change_at": repricings[-1]["changed_at"] if repricings else None,
        "price_elasticity_score": elasticity,
    }


def expected_marts(f: Orders, src: dict[str, list[dict]]) -> dict[str, Expectation]:
    categories = {c["category_id"]: c["category_name"] for c in src["categories"]}
    category_of = {k: p["category_id"] for k, p in current(src["products"], "product_id", keep_deleted=True).items()}
    by_category: dict[tuple, dict] = defaultdict(lambda: {"orders": set(), "units_sold": 0, "net_revenue": Decimal(0)})
    for x in f.revenue_lines:
        row = by_category[(x["order_date"], category_of.get(x["product_id"]))]
        row["orders"].add(x["order_id"])
        row["units_sold"] += 0 if x["is_returned"] else x["quantity"]
        row["net_revenue"] += x["net"]
    revenue_by_category = {
        (day, cat): {
            "order_count": len(row["orders"]),
            "units_sold": row["units_sold"],
            "net_revenue": row["net_revenue"],
            "category_name": categories.get(cat),
        }
        for (day, cat), row in by_category.items()
    }

    months: dict[object, set] = defaultdict(set)
    for o in f.revenue_orders:
        months[o["customer_id"]].add(o["ordered_at"].date().replace(day=1))
    cohort = {cid: min(ms) for cid, ms in months.items()}
    sizes: dict[date, int] = defaultdict(int)
    for first in cohort.values():
        sizes[first] += 1
    retention: dict[tuple, dict] = defaultdict(lambda: {"active_customers": 0})
    for cid, ms in months.items():
        for m in ms:
            offset = (m.year - cohort[cid].year) * 12 + m.month - cohort[cid].month
            retention[(cohort[cid], offset)]["active_customers"] += 1
    for (first, _), row in retention.items():
        row["cohort_size"] = sizes[first]
        row["retention_rate"] = row["active_customers"] / sizes[first]
    return {
        "mrt_daily_revenue_by_category": revenue_by_category,
        "mrt_customer_cohort_retention": dict(retention),
        "mrt_vendor_performance": expected_vendor_performance(f, src),
    }


def expected_vendor_performance(f: Orders, src: dict[str, list[dict]]) -> Expectation:
    """Every vendor's latest change (deleted ones too), over the current products naming it now: their
    lines of revenue orders (all of a product's sales go to its current vendor, none to a deleted product)."""
    products = current(src["products"], "product_id")
    out = {}
    for vid, v in current(src["vendors"], "vendor_id", keep_deleted=True).items():
        mine = {pid: p for pid, p in products.items() if p["vendor_id"] == vid}
        sold = [x for x in f.revenue_lines if x["product_id"] in mine]
        recent = [x for x in sold if not x["is_returned"] and x["order_date"] >= f.window_start]
        out[(vid,)] = {
            "vendor_name": v["vendor_name"],
            "country": v["country"],
            "is_deleted": is_deleted(v),
            "as_of_date": f.as_of,
            "product_count": len(mine),
            "active_products": sum(p["status"] == "active" for p in mine.values()),
            "units_sold_30d": sum(x["quantity"] for x in recent),
            "revenue_30d": sum((x["net"] for x in recent), Decimal(0)),
            "return_rate": ratio(
                sum(x["quantity"] for x in sold if x["is_returned"]), sum(x["quantity"] for x in sold)
            ),
        }
    return out


def expected_vault(src: dict[str, list[dict]]) -> dict[str, Expectation]:
    """Hash keys computed here in Python: equal on every target means the same hash on every adapter."""
    first_seen: dict[object, datetime] = {}
    for r in src["customers"] + src["orders"]:
        first_seen[r["customer_id"]] = min(first_seen.get(r["customer_id"], r["updated_at"]), r["updated_at"])
    items = current(src["order_items"], "order_item_id")
    payments = current(src["payments"], "payment_id", keep_deleted=True)
    vendors = current(src["vendors"], "vendor_id", keep_deleted=True)
    return {
        "vlt_hub_customer": {(md5_key(k),): {"customer_id": k, "load_date": v} for k, v in first_seen.items()},
        "vlt_sat_order_item": {
            (md5_key(i["order_id"], i["product_id"], k),): {"quantity": i["quantity"]} for k, i in items.items()
        },
        "vlt_sat_order_payment": {
            (md5_key(p["order_id"], k),): {"is_deleted": is_deleted(p), "method": p["method"]}
            for k, p in payments.items()
        },
        "vlt_sat_vendor": {
            (md5_key(k),): {"is_deleted": is_deleted(v), "vendor_name": v["vendor_name"]} for k, v in vendors.items()
        },
    }


def expected(src: dict[str, list[dict]]) -> dict[str, Expectation]:
    """Every checked model, computed from the change logs alone."""
    f = Orders.of(src)
    return (
        expected_ain(f)
        | expected_customers(f, src)
        | expected_products(f, src)
        | expected_marts(f, src)
        | expected_vault(src)
    )


def expected_chains(src: dict[str, list[dict]]) -> dict[str, dict[object, list[tuple]]]:
    return {
        "customer": scd2(src["customers"], "customer_id"),
        "product": scd2(src["products"], "product_id"),
        "order": scd2(src["orders"], "order_id"),
    }


# The grain columns of every checked model.
GRAIN = {
    "ain_orders": ["order_id"],
    "ain_customer_daily_activity": ["customer_id", "activity_date"],
    "ana_customers": ["customer_id"],
    "ana_products": ["product_id"],
    "ana_product_sales_daily": ["product_id", "sales_date"],
    "ana_product_sales_hourly": ["product_id", "sales_hour"],
    "ana_product_sales_weekly": ["product_id", "week_start"],
    "ana_product_sales_monthly": ["product_id", "month_start"],
    "mrt_daily_revenue_by_category": ["order_date", "category_id"],
    "mrt_customer_cohort_retention": ["cohort_month", "months_since_first_order"],
    "mrt_customer_features": ["customer_id"],
    "mrt_vendor_performance": ["vendor_id"],
    "vlt_sat_order_item": ["order_item_hk"],
    "vlt_sat_order_payment": ["order_payment_hk"],
    "vlt_sat_vendor": ["vendor_hk"],
    "vlt_hub_customer": ["customer_hk"],
}


def differences(expectations: dict[str, Expectation], fetch: Callable[[str], Iterable[dict]]) -> list[str]:
    """Where the models differ from the expectations (empty when they match). `fetch(model)` returns the
    model's rows as dicts keyed by lower-case column name."""
    problems = []
    for model, rows in expectations.items():
        fetched = list(fetch(model))
        got = {tuple(r[c] for c in GRAIN[model]): r for r in fetched}
        if len(got) != len(fetched):
            problems.append(f"{model}: {len(fetched) - len(got)} rows repeat a {GRAIN[model]} key")
            continue
        if set(got) != set(rows):
            problems.append(f"{model}: keys {sorted(map(str, set(got) ^ set(rows)))} differ")
            continue
        for key, columns in rows.items():
            for column, value in columns.items():
                actual = got[key][column]
                if not same(actual, value):
                    problems.append(f"{model}{key}.{column}: got {actual!r}, want {value!r}")
    return problems
