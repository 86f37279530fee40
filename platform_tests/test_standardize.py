"""RAW -> SRC standardization rules, each on a small hand-made batch."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from strataflow.config.models import TableConfig
from strataflow.transform import BatchContext, standardize
from strataflow.transform.masking import mask_value
from strataflow.transform.naming import output_names, snake_case

WINDOW = (datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC))


def ctx(tz: str = "UTC") -> BatchContext:
    return BatchContext(
        partition="2025-01-02",
        batch_id="b123",
        loaded_at=datetime(2025, 1, 3, 1, tzinfo=UTC),
        source_timezone=tz,
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        pii_salt="pepper",
    )


def table_cfg(**overrides: object) -> TableConfig:
    cfg = {
        "name": "customers",
        "load_type": "scd2",
        "primary_key": ["CustomerID"],
        "watermark": "updatedAt",
        "soft_delete": "deletedAt",
        "created": "createdAt",
        "partitioning": {"start": "2025-01-01"},
        "pii": ["Email"],
        "columns": {"Email": {"rename": "email_address"}, "IsVip": {"type": "bool"}},
    }
    return TableConfig(**{**cfg, **overrides})  # type: ignore[arg-type]


def raw() -> pa.Table:
    ts = lambda *a: datetime(*a)  # noqa: E731
    return pa.table(
        {
            "CustomerID": pa.array([2, 1, 1, 3], pa.int64()),
            "Email": ["  b@x.io ", "old@x.io", "a@x.io", None],
            "IsVip": pa.array([1, 0, 1, 0], pa.int8()),
            "Balance": pa.array([Decimal("1.50"), Decimal("2.00"), Decimal("3.25"), None], pa.decimal128(12, 2)),
            "createdAt": [ts(2024, 12, 1), ts(2025, 1, 2, 5), ts(2025, 1, 2, 5), ts(2024, 6, 1)],
            "updatedAt": [
                ts(2025, 1, 2, 9),
                ts(2025, 1, 2, 6),
                ts(2025, 1, 2, 7, 0, 0, 1),
                ts(2025, 1, 2, 8),
            ],
            "deletedAt": [None, None, None, ts(2025, 1, 2, 8)],
        }
    )


def test_snake_case() -> None:
    assert snake_case("OrderID") == "order_id"
    assert snake_case("createdAt") == "created_at"
    assert snake_case("Unit Price") == "unit_price"
    assert snake_case("already_snake") == "already_snake"


def test_two_columns_on_one_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="both become 'order_id'"):
        output_names(["OrderId", "order_id"], {})


def test_standardize_end_to_end() -> None:
    out = standardize(raw(), table_cfg(), ctx()).to_pylist()
    assert [r["customer_id"] for r in out] == [1, 2, 3]
    one, two, three = out
    # dedup: key 1 keeps its latest version
    assert one["updated_at"] == datetime(2025, 1, 2, 7, 0, 0, 1, tzinfo=UTC)
    assert one["email_address"] == mask_value("a@x.io", "pepper")
    # trimmed before masking; masked values are sha256 hex
    assert two["email_address"] == mask_value("b@x.io", "pepper") and len(two["email_address"]) == 64
    assert three["email_address"] is None
    assert [r["is_vip"] for r in out] == [True, True, False]
    assert one["balance"] == Decimal("3.25")
    # op: created inside the window -> I, before -> U, soft-deleted -> D
    assert [r["_op"] for r in out] == ["I", "U", "D"]
    assert {r["_batch_id"] for r in out} == {"b123"} and {r["_partition"] for r in out} == {"2025-01-02"}
    assert one["_loaded_at"] == datetime(2025, 1, 3, 1, tzinfo=UTC)
    assert list(out[0]) == [
        "customer_id",
        "email_address",
        "is_vip",
        "balance",
        "created_at",
        "updated_at",
        "deleted_at",
        "_batch_id",
        "_partition",
        "_loaded_at",
        "_op",
    ]


def test_source_wall_clock_becomes_utc() -> None:
    out = standardize(raw(), table_cfg(), ctx("Europe/Berlin")).to_pylist()
    assert out[0]["updated_at"] == datetime(2025, 1, 2, 6, 0, 0, 1, tzinfo=UTC)  # 07:00 CET = 06:00 UTC


def test_hard_deleted_keys_become_delete_rows() -> None:
    cfg = table_cfg(load_type="cdc", detect_hard_deletes=True, soft_delete=None)
    deleted = pa.table({"CustomerID": pa.array([9, 2], pa.int64())})  # 2 is still present this partition
    out = standardize(raw(), cfg, ctx(), deleted).to_pylist()
    gone = [r for r in out if r["customer_id"] == 9]
    assert len(gone) == 1
    assert gone[0]["_op"] == "D" and gone[0]["email_address"] is None
    assert gone[0]["updated_at"] == datetime(2025, 1, 2, 23, 59, 59, 999999, tzinfo=UTC)
    assert [r["_op"] for r in out if r["customer_id"] == 2] == ["U"]


def test_pii_without_salt_fails_clearly() -> None:
    no_salt = BatchContext(**{**ctx().__dict__, "pii_salt": None})
    with pytest.raises(ValueError, match="pii columns but no pii_salt"):
        standardize(raw(), table_cfg(), no_salt)
