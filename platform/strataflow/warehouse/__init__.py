"""Loading SRC partitions into DuckDB, PostgreSQL or Snowflake idempotently, with an audit table.

wh = create_warehouse("duckdb", path="warehouse.duckdb")
wh.load(LoadRequest(asset="src/shop/orders", table="shop__orders", partition="2025-01-03",
                    mode="replace_partition", batch_id=..., watermark_min=..., watermark_max=...),
        record_batch_reader)
"""

from __future__ import annotations

from typing import Any

from strataflow.warehouse.base import LoadMode, LoadRequest, LoadResult, Warehouse, validate_identifier
from strataflow.warehouse.duckdb_loader import DuckDBWarehouse, WarehouseLockTimeoutError
from strataflow.warehouse.postgres_loader import PostgresWarehouse
from strataflow.warehouse.snowflake_loader import SnowflakeWarehouse
from strataflow.warehouse.sql_warehouse import LoadIntegrityError

WAREHOUSE_KINDS = {
    "duckdb": DuckDBWarehouse,
    "postgres": PostgresWarehouse,
    "snowflake": SnowflakeWarehouse,
}


def create_warehouse(kind: str, **params: Any) -> Warehouse:
    """Open a warehouse by kind with its constructor's parameters.

    duckdb: path=...; postgres: conninfo=...; snowflake: connect_kwargs={...}.
    """
    try:
        cls = WAREHOUSE_KINDS[kind]
    except KeyError:
        expected = ", ".join(WAREHOUSE_KINDS)
        raise ValueError(f"unknown warehouse kind {kind!r}; expected one of {expected}") from None
    return cls(**params)


__all__ = [
    "WAREHOUSE_KINDS",
    "DuckDBWarehouse",
    "LoadIntegrityError",
    "LoadMode",
    "LoadRequest",
    "LoadResult",
    "PostgresWarehouse",
    "SnowflakeWarehouse",
    "Warehouse",
    "WarehouseLockTimeoutError",
    "create_warehouse",
    "validate_identifier",
]
