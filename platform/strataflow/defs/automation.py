"""Declarative automation: downstream (dbt) assets materialize when their upstreams update, never while an
upstream's blocking check fails. The automation sensor evaluates the conditions (the daemon runs it)."""

from __future__ import annotations

from dagster import AssetSelection, AutomationCondition, AutomationConditionSensorDefinition, DefaultSensorStatus

from strataflow.config.models import DuckDBWarehouseConfig, WarehouseConnection
from strataflow.instance import DUCKDB_POOL

AUTOMATION_SENSOR = "strataflow_automation"


def downstream_condition() -> AutomationCondition:
    """Eager (an upstream partition updated, none missing or in progress), and every upstream's blocking
    checks passed: the Correctness rule "gated" holds for automation as for runs."""
    return (AutomationCondition.eager() & AutomationCondition.all_deps_blocking_checks_passed()).with_label(
        "eager, blocking checks of upstreams passed"
    )


def automation_sensor() -> AutomationConditionSensorDefinition:
    return AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
        description="Materializes downstream assets when their upstreams update and blocking checks pass.",
    )


def warehouse_pool(warehouse: WarehouseConnection) -> str | None:
    """The concurrency pool of assets writing the warehouse: DuckDB takes one writer at a time; PostgreSQL
    and Snowflake runs go side by side (no pool)."""
    return DUCKDB_POOL if isinstance(warehouse, DuckDBWarehouseConfig) else None
