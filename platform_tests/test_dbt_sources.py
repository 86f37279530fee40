"""dbt sources come from the table registry: a table added to the YAML becomes a dbt source with no hand edit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from strataflow.config import load_project
from strataflow.dbt_build import prepare_dbt_build
from strataflow.warehouse.dbt_sources import render_source, write_sources

REPO = Path(__file__).resolve().parents[1]


def test_the_committed_sources_match_the_registry() -> None:
    project = load_project(REPO / "configs", "local")
    committed = (REPO / "dbt/models/sources/shop.yml").read_text()
    assert committed == render_source("shop", [r for r in project.tables() if r.source == "shop"])


def test_rendered_sources_map_each_table_to_its_src_asset() -> None:
    project = load_project(REPO / "configs", "local")
    doc = yaml.safe_load(render_source("shop", project.tables()))
    (source,) = doc["sources"]
    assert source["schema"] == "src"
    orders = next(t for t in source["tables"] if t["name"] == "orders")
    assert orders["identifier"] == "shop__orders"
    assert orders["config"]["meta"]["dagster"]["asset_key"] == ["src", "shop", "orders"]
    categories = next(t for t in source["tables"] if t["name"] == "categories")
    assert categories["columns"][0] == {"name": "category_id", "data_tests": ["not_null", "unique"]}
    # the registry's column descriptions are the dbt source's (and the dictionary's, and the UI's)
    assert {"name": "category_name", "description": "Display name of the category."} in categories["columns"]


@pytest.fixture
def project_with_refunds(tmp_path: Path):
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    registry = yaml.safe_load((configs / "sources/shop.yaml").read_text())
    registry["tables"].append(
        {
            "name": "refunds",
            "load_type": "incremental",
            "primary_key": ["refund_id"],
            "columns": {"amt": {"rename": "amount"}},
        }
    )
    (configs / "sources/shop.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    dbt_dir = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", dbt_dir, ignore=shutil.ignore_patterns("target", "logs"))
    return load_project(configs, "local"), dbt_dir


def test_a_new_registry_table_becomes_a_dbt_source(project_with_refunds) -> None:
    project, dbt_dir = project_with_refunds
    before = {p: p.read_bytes() for p in dbt_dir.rglob("*") if p.is_file()}
    build = prepare_dbt_build(project, dbt_dir)
    manifest = json.loads(build.manifest.read_text())
    source = manifest["sources"]["source.strataflow.shop.refunds"]
    assert source["identifier"] == "shop__refunds"
    assert source["meta"]["dagster"]["asset_key"] == ["src", "shop", "refunds"]
    assert write_sources(project, build.dir) == []  # up to date: nothing rewritten
    # the project folder is only read: the sources and dbt's target/ live in the build folder
    assert {p: p.read_bytes() for p in dbt_dir.rglob("*") if p.is_file()} == before
    assert not build.dir.is_relative_to(dbt_dir)
