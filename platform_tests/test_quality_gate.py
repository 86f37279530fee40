"""The quality gate end to end on the MariaDB demo source, the Dagster job and a DuckDB warehouse.

One scenario for the module (each step reads the state the previous one left):
  day 0    RAW + SRC of every table: the shop suites pass, src tables loaded, checks in the audit table
  day 1    bad rows injected into the source (NULL in a not-null column, a duplicate key, an amount out
           of range, a value breaking a regex, a dropped column); the main job: the quality checks of
           orders and products fail with the right counts and samples, the warehouse tables are
           unchanged, the rejected batches sit under rejected/, no dbt asset is materialized
  fixed    the data fixed, the partition re-run: it passes and is loaded
  warn     a failing `warn` expectation does not block: SRC loads and a dbt model downstream runs
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from dagster import AssetKey, DagsterEventType, DagsterInstance

from conftest import mysql_connect
from pipeline_helpers import START, make_project, mysql_source_config, subset
from strataflow.cli import main as cli
from strataflow.config import Project, load_project
from strataflow.connections import open_storage
from strataflow.definitions import build_definitions
from strataflow.defs.jobs import MAIN_JOB
from strataflow.demo import create_schema, generate
from strataflow.lake import partition_prefix, read_manifest

pytestmark = pytest.mark.slow
DAY0, DAY1 = START.isoformat(), (START + timedelta(days=1)).isoformat()


def wh_rows(project: Project, sql: str) -> list[tuple]:
    path = project.environment.warehouse.path  # type: ignore[union-attr]
    with contextlib.closing(duckdb.connect(path, read_only=True)) as conn:
        return conn.execute(sql).fetchall()


def checks_of(result: Any) -> dict[str, Any]:
    """The run's check evaluations by asset key string."""
    return {
        e.asset_check_evaluation_data.asset_key.to_user_string(): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        and e.asset_check_evaluation_data.check_name == "quality"
    }


def materialized(result: Any) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("gate")
    name = f"sf_gate_{tmp.name[-6:]}".replace("-", "_")
    with contextlib.closing(mysql_connect("mysql")) as admin, admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    with contextlib.closing(mysql_connect(name)) as conn:
        create_schema(conn, "mysql")
        generate(conn, "mysql", scale=150, start=START, days=2)
    project = make_project(
        tmp,
        mysql_source_config(name),
        {"kind": "local", "path": str(tmp / "lake")},
        {"kind": "duckdb", "path": str(tmp / "warehouse.duckdb")},
    )
    platform = yaml.safe_load((project.configs_dir / "platform.yaml").read_text())
    platform["environments"]["test"]["quality"] = {"data_docs": str(tmp / "docs")}
    (project.configs_dir / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    project = load_project(project.configs_dir, "test")
    yield {"project": project, "db": name, "tmp": tmp, "instance": DagsterInstance.ephemeral()}
    with contextlib.closing(mysql_connect("mysql")) as admin, admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def run(project: Project, instance: DagsterInstance, key: str, selection: list[AssetKey] | None = None) -> Any:
    defs = build_definitions(project)
    job = defs.resolve_job_def(MAIN_JOB)
    if selection is None:
        selection = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] in ("raw", "src")]
    return subset(job, selection).execute_in_process(partition_key=key, instance=instance, raise_on_error=False)


def sql(db: str, *statements: str) -> None:
    with contextlib.closing(mysql_connect(db)) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        conn.commit()


@pytest.fixture(scope="module")
def day0(scenario: dict[str, Any]) -> Any:
    result = run(scenario["project"], scenario["instance"], DAY0)
    assert result.success
    return result


def test_clean_partition_passes_and_is_recorded(scenario: dict[str, Any], day0: Any) -> None:
    project = scenario["project"]
    checks = checks_of(day0)
    assert set(checks) == {f"src/shop/{r.name}" for r in project.tables()}
    assert all(c.passed for c in checks.values())
    docs = checks["src/shop/orders"].metadata["data_docs"].value
    assert docs.startswith("file://") and Path(docs[7:]).read_text().startswith("<!DOCTYPE html>")
    audit = wh_rows(
        project, "select asset, check_name, bool_and(success), count(*) from audit.check_results group by 1, 2"
    )
    assert {a for a, *_ in audit} == set(checks) and all(ok for _a, _c, ok, _n in audit)


@pytest.fixture(scope="module")
def bad_day(scenario: dict[str, Any], day0: Any) -> dict[str, Any]:
    project, db = scenario["project"], scenario["db"]
    lo, hi = f"'{DAY1} 00:00:00'", f"'{DAY1} 23:59:59'"
    with contextlib.closing(mysql_connect(db)) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT order_id FROM orders WHERE updated_at BETWEEN {lo} AND {hi} ORDER BY order_id LIMIT 3")
        null_id, range_id, regex_id = (r[0] for r in cur.fetchall())
        cur.execute("SELECT product_id, sku, vendor_id FROM products ORDER BY product_id LIMIT 2")
        (p1, sku1, v1), (p2, _sku2, _v2) = cur.fetchall()
    before = {t: wh_rows(project, f"select * from src.shop__{t} order by 1") for t in ("orders", "products")}
    sql(
        db,
        "ALTER TABLE orders MODIFY customer_id BIGINT NULL",
        f"UPDATE orders SET customer_id = NULL WHERE order_id = {null_id}",
        f"UPDATE orders SET total_amount = -5 WHERE order_id = {range_id}",
        f"UPDATE orders SET currency = 'eur' WHERE order_id = {regex_id}",
        "ALTER TABLE orders DROP COLUMN shipping_note",
        f"UPDATE products SET sku = '{sku1}', vendor_id = {v1}, updated_at = '{DAY1} 10:00:00' WHERE product_id = {p2}",
        f"UPDATE products SET updated_at = '{DAY1} 10:00:01' WHERE product_id = {p1}",
    )
    defs = build_definitions(project)
    graph = defs.resolve_asset_graph()
    everything = [k for k in graph.get_all_asset_keys() if graph.get(k).is_executable]  # not the source tables
    result = run(project, scenario["instance"], DAY1, everything)
    return {
        "result": result,
        "before": before,
        "ids": {"null": null_id, "range": range_id, "regex": regex_id, "dup": (p1, p2), "sku": sku1, "vendor": v1},
    }


def failing(check: Any) -> dict[str, dict]:
    return {f["name"]: f for f in check.metadata["failures"].value}


def test_bad_rows_fail_the_right_checks_with_counts_and_samples(bad_day: dict[str, Any]) -> None:
    checks, ids = checks_of(bad_day["result"]), bad_day["ids"]
    orders, products = checks["src/shop/orders"], checks["src/shop/products"]
    assert not orders.passed and not products.passed and orders.blocking
    bad = failing(orders)
    nulls = bad["not_null(order_id, customer_id, status, currency, total_amount, ordered_at)"]
    assert nulls["unexpected_count"] == 1 and nulls["sample"] == [{"customer_id": None, "order_id": ids["null"]}]
    amount = bad["between(total_amount)"]
    assert amount["unexpected_count"] == 1 and amount["sample"] == [{"total_amount": -5.0, "order_id": ids["range"]}]
    currency = bad["regex(currency)"]
    assert currency["unexpected_count"] == 1 and currency["sample"] == [{"currency": "eur", "order_id": ids["regex"]}]
    assert "missing columns: shipping_note" in bad["columns_match"]["note"]
    assert bad["length_between(shipping_note)"]["note"] == "column(s) missing from the data: shipping_note"
    dup = failing(products)["unique(sku, vendor_id)"]
    assert dup["unexpected_count"] == 2
    assert sorted(s["product_id"] for s in dup["sample"]) == sorted(ids["dup"])
    others = {k: c.passed for k, c in checks.items() if k not in ("src/shop/orders", "src/shop/products")}
    assert all(others.values()), others


def test_rejected_partition_leaves_the_warehouse_and_dbt_alone(
    scenario: dict[str, Any], bad_day: dict[str, Any]
) -> None:
    project, result = scenario["project"], bad_day["result"]
    for table, rows in bad_day["before"].items():
        assert wh_rows(project, f"select * from src.shop__{table} order by 1") == rows
    done = materialized(result)
    assert "src/shop/orders" not in done and "src/shop/products" not in done
    failed = {
        e.step_key: e.step_failure_data.user_failure_data.description
        for e in result.get_step_failure_events()
        if e.step_failure_data.user_failure_data
    }
    assert "rejected by its expectation suite" in failed["src__shop__orders"]  # the step names the rejection
    assert "src.shop__orders left unchanged" in failed["src__shop__orders"]
    assert not [k for k in done if k.split("/")[0] not in ("raw", "src")]  # no dbt model in that run
    storage = open_storage(project)
    assert read_manifest(storage, partition_prefix("src", "shop", "orders", DAY1)) is None
    rejected = read_manifest(storage, partition_prefix("rejected", "shop", "orders", DAY1))
    assert rejected is not None and rejected.rows > 0
    audit = wh_rows(
        project,
        "select expectation, severity, success, unexpected_count, details from audit.check_results "
        f"where asset = 'src/shop/orders' and partition = '{DAY1}' and not success order by 1",
    )
    by_name = {a[0]: a for a in audit}
    assert by_name["between(total_amount)"][1:4] == ("error", False, 1)
    # The RAW asset let the dropped column through (evolve) and the engine audited it.
    contract = wh_rows(
        project,
        "select asset, expectation, severity, success from audit.check_results "
        f"where check_name = 'schema_contract' and partition = '{DAY1}'",
    )
    assert contract == [("raw/shop/orders", "dropped(shipping_note)", "warn", True)]
    assert json.loads(by_name["regex(currency)"][4])["sample"] == [
        {"currency": "eur", "order_id": bad_day["ids"]["regex"]}
    ]


def test_fixed_data_passes_and_loads(scenario: dict[str, Any], bad_day: dict[str, Any]) -> None:
    project, db, ids = scenario["project"], scenario["db"], bad_day["ids"]
    sql(
        db,
        f"UPDATE orders SET customer_id = 1 WHERE order_id = {ids['null']}",
        f"UPDATE orders SET total_amount = 5 WHERE order_id = {ids['range']}",
        f"UPDATE orders SET currency = 'EUR' WHERE order_id = {ids['regex']}",
        "ALTER TABLE orders ADD COLUMN shipping_note VARCHAR(200) NULL AFTER total_amount",
        f"UPDATE products SET sku = CONCAT(sku, '-B') WHERE product_id = {ids['dup'][1]}",
    )
    keys = [AssetKey([layer, "shop", t]) for t in ("orders", "products") for layer in ("raw", "src")]
    result = run(project, scenario["instance"], DAY1, keys)
    assert result.success
    assert all(c.passed for c in checks_of(result).values())
    loaded = wh_rows(project, f"select count(*) from src.shop__orders where _partition = '{DAY1}'")[0][0]
    assert loaded > 0


def test_failing_warn_expectation_does_not_block(scenario: dict[str, Any], bad_day: dict[str, Any]) -> None:
    project, db = scenario["project"], scenario["db"]
    suite = project.configs_dir / "expectations" / "shop" / "orders.yaml"
    text = suite.read_text().replace("pattern: '^[A-Z]{3}$'}", "pattern: '^[A-Z]{3}$', severity: warn}")
    suite.write_text(text)
    project = load_project(project.configs_dir, "test")
    sql(db, f"UPDATE orders SET currency = 'usd' WHERE order_id = {bad_day['ids']['regex']}")
    keys = [AssetKey(["raw", "shop", "orders"]), AssetKey(["src", "shop", "orders"]), AssetKey(["vin", "vin_orders"])]
    result = run(project, scenario["instance"], DAY1, keys)
    assert result.success
    check = checks_of(result)["src/shop/orders"]
    assert check.passed and failing(check)["regex(currency)"]["severity"] == "warn"
    assert {"src/shop/orders", "vin/vin_orders"} <= materialized(result)
    currencies = wh_rows(project, f"select currency from src.shop__orders where _partition = '{DAY1}'")
    assert ("usd",) in currencies


def test_suite_naming_a_missing_column_fails_validate(scenario: dict[str, Any]) -> None:
    project = scenario["project"]
    suite = project.configs_dir / "expectations" / "shop" / "payments.yaml"
    suite.write_text(suite.read_text().replace("in_set: {column: method,", "in_set: {column: pay_method,"))
    try:
        out = CliRunner().invoke(cli, ["validate", "--configs", str(project.configs_dir), "--env", "test"])
    finally:
        suite.write_text(suite.read_text().replace("pay_method", "method"))
    assert out.exit_code == 1
    assert (
        f"{suite}: expectations[2].in_set.column: column 'pay_method' does not exist in src.shop__payments"
        in out.output
    )
    assert "Fix: did you mean 'method'?" in out.output
