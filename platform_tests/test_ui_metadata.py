"""What the Dagster UI is given: the `dg` CLI loads the project from the repository root, groups read as the
layers, every asset has kinds, a description, owners and tags, checks have descriptions, and the column
schema / row count metadata are built right (types from the data, descriptions from the registry)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from dagster import TableSchema

from strataflow.config import load_project
from strataflow.config.errors import ConfigError
from strataflow.defs.catalog import column_descriptions, table_metadata
from strataflow.defs.dbt_metadata import parse_line
from strataflow.defs.dbt_metadata import table_metadata as dbt_table_metadata
from strataflow.defs.dbt_translator import describe_test

REPO = Path(__file__).resolve().parents[1]
LAYER_GROUPS = ["raw", "src", "vin", "vlt", "ain", "ana", "mrt"]


def _dg(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DAGSTER_HOME": str(home), "STRATAFLOW_ENV": "local", "NO_COLOR": "1"}
    (home / "dagster.yaml").touch()
    dg = Path(sys.executable).with_name("dg")
    return subprocess.run([str(dg), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def dg_defs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    result = _dg("list", "defs", "--json", home=tmp_path_factory.mktemp("dg"))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_dg_check_defs_passes_from_the_repository_root(tmp_path: Path) -> None:
    result = _dg("check", "defs", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_dg_lists_the_layers_as_groups_with_documented_assets(dg_defs: dict) -> None:
    assets = {a["asset_key"]: a for a in dg_defs["assets"]}
    groups = {a["group_name"] for a in assets.values()}
    assert set(LAYER_GROUPS) | {"source"} <= groups

    # Every asset: kinds, a description, owners, and a layer tag.
    for key, asset in assets.items():
        assert asset["kinds"], key
        assert asset["description"], key
        assert asset["owners"], key
        assert {"key": "layer", "value": asset["group_name"]} in asset["tags"], key

    orders = assets["raw/shop/orders"]
    assert set(orders["kinds"]) == {"sqlite", "parquet"}
    assert orders["dependency_keys"] == ["source/shop/orders"]
    assert {"key": "load_type", "value": "incremental"} in orders["tags"]
    assert {"key": "source", "value": "shop"} in orders["tags"]
    assert orders["owners"] == [{"team": "sales-analytics"}]
    assert orders["description"].startswith("Orders placed")
    assert set(assets["src/shop/orders"]["kinds"]) == {"polars", "parquet", "duckdb", "great_expectations"}
    assert set(assets["source/shop/orders"]["kinds"]) == {"sqlite"}
    assert not assets["source/shop/orders"]["is_executable"]
    assert set(assets["mrt/mrt_customer_features"]["kinds"]) == {"dbt", "duckdb"}

    # Lineage: from a source table through RAW and SRC to a mart.
    parents = {key: set(a["dependency_keys"]) for key, a in assets.items()}
    reached, frontier = set(), {"source/shop/orders"}
    while frontier:
        reached |= frontier
        frontier = {k for k, ps in parents.items() if ps & frontier} - reached
    assert any(k.startswith("mrt/") for k in reached)

    checks = dg_defs["asset_checks"]
    assert checks and all(c.get("description") for c in checks)
    assert all(s.get("cron_schedule") for s in dg_defs["schedules"])


def test_registry_documentation_keys_are_validated(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    registry = configs / "sources" / "shop.yaml"
    registry.write_text(registry.read_text().replace("owners: [team:finance]", "owners: [finance team]"))
    with pytest.raises(ConfigError, match="owner 'finance team' must be an e-mail address or team:<name>"):
        load_project(configs, "local")


def test_raw_and_src_column_schema_has_arrow_types_and_registry_descriptions() -> None:
    project = load_project(REPO / "configs", "local")
    customers = project.table("shop", "customers")
    schema = pa.schema([("customer_id", pa.int64()), ("email", pa.string()), ("_op", pa.string())])
    meta = table_metadata(customers, "src", schema, 42)
    assert meta["dagster/row_count"] == 42
    columns = {c.name: c for c in meta["dagster/column_schema"].columns}
    assert columns["customer_id"].type == "int64"
    assert columns["customer_id"].description == "Primary key."
    assert "masked in SRC" in columns["email"].description and "sha256" in columns["email"].description
    assert columns["_op"].description.startswith("Change operation")
    # RAW keeps source names (before rename); an empty partition has no files, hence no schema.
    categories = project.table("shop", "categories")
    assert column_descriptions(categories, "raw")["name"] == "Display name of the category."
    assert column_descriptions(categories, "src")["category_name"] == "Display name of the category."
    assert table_metadata(categories, "raw", None, 0) == {"dagster/row_count": 0}


def test_dbt_post_hook_line_becomes_column_schema_and_row_count() -> None:
    payload = {"unique_id": "model.strataflow.m", "columns": [["ID", "NUMBER"]], "row_count": 3}
    line = "strataflow_table_metadata " + json.dumps(payload)
    assert parse_line(line) == payload
    assert parse_line("some other log line") is None
    node = {"columns": {"id": {"description": "The key.", "tags": ["pk"]}}}
    meta = dbt_table_metadata(payload, node)
    schema = meta["dagster/column_schema"]
    assert isinstance(schema, TableSchema)
    assert [(c.name, c.type, c.description) for c in schema.columns] == [("id", "number", "The key.")]
    assert meta["dagster/row_count"] == 3


def test_check_descriptions_say_what_and_whether_they_block() -> None:
    test = {
        "test_metadata": {"name": "unique", "kwargs": {"column_name": "order_id"}},
        "column_name": "order_id",
        "config": {"severity": "ERROR"},
    }
    assert describe_test(test) == (
        "dbt test `unique`: column `order_id` is unique. Severity error: blocks the downstream models when it fails."
    )
    assert describe_test({**test, "config": {"severity": "warn"}}).endswith("Severity warn: warns only.")
