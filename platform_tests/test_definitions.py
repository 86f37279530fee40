"""The code location loads from workspace.yaml, and the asset graph has the expected shape."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from strataflow.config import load_project
from strataflow.definitions import build_definitions
from strataflow.defs.dbt_assets import lookback_days

REPO = Path(__file__).resolve().parents[1]


def test_dagster_definitions_validate_loads_the_workspace(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "STRATAFLOW_ENV": "local"}
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_every_table_has_raw_and_src_assets_with_lineage() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for table in ("categories", "vendors", "customers", "products", "orders", "order_items", "payments"):
        assert f"raw/shop/{table}" in keys
        assert f"src/shop/{table}" in keys
        src = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == f"src/shop/{table}"))
        assert {p.to_user_string() for p in src.parent_keys} >= {f"raw/shop/{table}"}
    assert defs.resolve_job_def("strataflow_daily").partitions_def.get_first_partition_key() == "2025-01-01"

    # the analytics layer: exposures downstream of their marts, metric definitions on the assets they read
    dashboard = graph.get(AssetKey(["exposure", "sales_dashboard"]))
    assert {"mrt/mrt_daily_revenue_by_category", "mrt/mrt_customer_cohort_retention"} <= {
        k.to_user_string() for k in dashboard.parent_keys
    }
    assert "mrt/mrt_customer_training_set" in {
        k.to_user_string() for k in graph.get(AssetKey(["exposure", "churn_model_features"])).parent_keys
    }
    sales_lines = graph.get(AssetKey(["mrt", "mrt_sales_lines"])).metadata
    assert "revenue" in sales_lines["strataflow/metric_names"].value
    assert "certified" in sales_lines["strataflow/metrics"].value
    daily = graph.get(AssetKey(["mrt", "mrt_daily_revenue_by_category"])).metadata
    assert "revenue_trailing_30d" in daily["strataflow/metric_names"].value  # the daily grain it sums


def test_dbt_reads_one_day_back_only_when_some_tables_load_without_dbt(tmp_path: Path) -> None:
    """Tables of another partitioning load in a RAW/SRC job that runs no dbt, so the main job's dbt step
    looks one day back for what they loaded after it ran; with one partitioning it reads its own window."""
    assert lookback_days(load_project(REPO / "configs", "local")) == 0

    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    registry = configs / "sources" / "shop.yaml"
    text = registry.read_text()
    orders = "  - name: orders\n"
    registry.write_text(text.replace(orders, orders + '    partitioning: {grain: hourly, start: "2025-01-01"}\n'))
    mixed = load_project(configs, "local")
    assert {ref.config.partitioning.grain for ref in mixed.tables()} == {"daily", "hourly"}
    assert lookback_days(mixed) == 1
