"""The code location loads from workspace.yaml, and the asset graph has the expected shape."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from dagster import AssetKey

from strataflow.config import ConfigError, load_project
from strataflow.connections import open_storage
from strataflow.definitions import build_definitions
from strataflow.defs.dbt_assets import lookback_days
from strataflow.quality.contracts import write_baseline

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


def test_the_code_location_imports_no_snowflake_or_aws_client_it_does_not_use(tmp_path: Path) -> None:
    """dagster-snowflake (Snowpark, ~3 s) and dagster-aws (boto3, ~1 s) are imported only where the
    environment has a Snowflake warehouse or an S3 lake; the local environment has neither."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "STRATAFLOW_HOME": str(tmp_path), "STRATAFLOW_ENV": "local"}
    probe = (
        "import sys, strataflow.definitions\n"
        "print(sorted(m for m in ('dagster_snowflake', 'dagster_aws') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


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


def copy_configs(tmp_path: Path) -> Path:
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    return configs


def test_code_location_load_fails_with_the_config_error_of_a_bad_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code location (build_definitions loading the configs itself) stops on a suite with an unknown
    expectation kind, with the message naming file, key path and fix (what `dagster dev` shows)."""
    configs = copy_configs(tmp_path)
    suite = configs / "expectations" / "shop" / "orders.yaml"
    suite.write_text("expectations:\n  - not_nul: [order_id]\n")
    monkeypatch.setenv("STRATAFLOW_CONFIGS", str(configs))
    monkeypatch.setenv("STRATAFLOW_ENV", "local")
    with pytest.raises(ConfigError) as error:
        build_definitions()
    assert f"{suite}: expectations[0].not_nul: unknown expectation 'not_nul'. Fix: did you mean 'not_null'?" in str(
        error.value
    )


def test_date_format_on_a_column_declared_timestamp_is_refused_when_configs_load(tmp_path: Path) -> None:
    configs = copy_configs(tmp_path)
    registry = configs / "sources" / "shop.yaml"
    registry.write_text(
        registry.read_text().replace(
            "      is_test: {type: bool,", "      ordered_at: {type: timestamp}\n      is_test: {type: bool,", 1
        )
    )
    suite = configs / "expectations" / "shop" / "orders.yaml"
    suite.write_text(suite.read_text() + "  - date_format: {column: ordered_at, format: '%Y-%m-%d'}\n")
    with pytest.raises(ConfigError) as error:
        load_project(configs, "local")
    (problem,) = error.value.problems
    assert str(problem) == (
        f"{suite}: expectations[8].date_format.column: date_format checks the text of a string column, but "
        "'ordered_at' is timestamp in src.shop__orders (declared in the registry). Fix: remove the expectation "
        "(a typed date or timestamp has no format to check; use between or not_null on it), or point it at a "
        "text column"
    )


def test_date_format_on_a_timestamp_of_the_lake_baseline_stops_the_code_location(tmp_path: Path) -> None:
    """No registry type, but the table was extracted: its schema baseline in the lake knows the type."""
    configs = copy_configs(tmp_path)
    platform = yaml.safe_load((configs / "platform.yaml").read_text())
    platform["environments"]["local"]["lake"] = {"kind": "local", "path": str(tmp_path / "lake")}
    (configs / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    suite = configs / "expectations" / "shop" / "orders.yaml"
    suite.write_text(suite.read_text() + "  - date_format: {column: ordered_at, format: '%Y-%m-%d'}\n")
    project = load_project(configs, "local")  # the registry declares no type for ordered_at: loads
    source = pa.schema(
        [(c, pa.int64()) for c in ("order_id", "customer_id")]
        + [(c, pa.string()) for c in ("status", "currency", "shipping_note")]
        + [("total_amount", pa.decimal128(12, 2)), ("is_test", pa.int8())]
        + [(c, pa.timestamp("us")) for c in ("ordered_at", "created_at", "updated_at")]
    )
    write_baseline(open_storage(project), project.table("shop", "orders"), source, [])
    with pytest.raises(ConfigError) as error:
        build_definitions(project)
    assert [p.key_path for p in error.value.problems] == ["expectations[8].date_format.column"]
    assert "'ordered_at' is timestamp[us, tz=UTC] in src.shop__orders" in str(error.value)
