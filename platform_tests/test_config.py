"""Bad configs fail with one clear message naming the file, the key path and the fix."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from strataflow.cli import main
from strataflow.config import ConfigError, load_project
from strataflow.config.identifiers import quote_identifier
from strataflow.demo import create_schema, generate

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(REPO / "configs", target)
    monkeypatch.setenv("STRATAFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STRATAFLOW_ENV", raising=False)
    return target


def edit(file: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(file.read_text())
    change(data)
    file.write_text(yaml.safe_dump(data, sort_keys=False))


def table(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in data["tables"] if t["name"] == name)


def error_of(configs: Path, env: str | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_project(configs, env)
    return str(info.value)


def test_the_shipped_configs_are_valid(configs: Path) -> None:
    project = load_project(configs)
    assert project.env_name == "local"
    assert {t.name for t in project.tables()} >= {"orders", "customers", "order_items"}


def test_unknown_key_names_file_path_and_suggests_the_right_key(configs: Path) -> None:
    edit(configs / "sources/shop.yaml", lambda d: table(d, "orders").update(primary_keys=["order_id"]))
    message = error_of(configs)
    assert "shop.yaml: tables[4].primary_keys: unknown key 'primary_keys'" in message
    assert "did you mean 'primary_key'?" in message


def test_merge_load_type_without_primary_key(configs: Path) -> None:
    edit(configs / "sources/shop.yaml", lambda d: table(d, "orders").pop("primary_key"))
    message = error_of(configs)
    assert "shop.yaml: tables[4]: load_type 'incremental' merges on a key, so primary_key is required" in message
    assert "Fix:" in message


def test_unsafe_identifier_is_rejected(configs: Path) -> None:
    edit(
        configs / "sources/shop.yaml",
        lambda d: table(d, "orders").update(watermark="updated_at; DROP TABLE x"),
    )
    message = error_of(configs)
    assert "shop.yaml: tables[4].watermark:" in message
    assert "is not a safe identifier" in message
    assert "Fix: rename it to a plain SQL identifier" in message


def test_undefined_env_var_names_the_key_and_the_variable(configs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYSQL_PASSWORD", raising=False)
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "x")
    monkeypatch.setenv("STRATAFLOW_PII_SALT", "x")
    message = error_of(configs, "docker")
    assert (
        "platform.yaml: environments.docker.sources.shop.password: environment variable MYSQL_PASSWORD is not set"
        in message
    )
    assert "export MYSQL_PASSWORD=" in message


def test_only_the_chosen_environment_needs_its_variables(configs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SNOWFLAKE_PASSWORD", raising=False)
    assert load_project(configs, "local").environment.warehouse.kind == "duckdb"


def test_literal_secret_is_rejected(configs: Path) -> None:
    edit(
        configs / "platform.yaml",
        lambda d: d["environments"]["docker"]["sources"]["shop"].update(password="hunter2"),
    )
    message = error_of(configs, "docker")
    assert "environments.docker.sources.shop.password: secrets must not be written in config files" in message
    assert "hunter2" not in message


def test_registry_without_a_connection(configs: Path) -> None:
    shutil.copy(configs / "sources/shop.yaml", configs / "sources/crm.yaml")
    message = error_of(configs)
    assert "crm.yaml: source 'crm' has no connection in environments.local.sources" in message


def test_unknown_load_type_lists_the_allowed_ones(configs: Path) -> None:
    edit(configs / "sources/shop.yaml", lambda d: table(d, "orders").update(load_type="append"))
    message = error_of(configs)
    assert "shop.yaml: tables[4].load_type:" in message
    assert "'incremental'" in message


def test_unknown_environment(configs: Path) -> None:
    message = error_of(configs, "staging")
    assert "platform.yaml: environments: environment 'staging' is not defined" in message


@pytest.fixture
def demo_source(configs: Path, tmp_path: Path) -> Path:
    path = tmp_path / "home" / "shop.sqlite"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        create_schema(conn, "sqlite")
        generate(conn, "sqlite", scale=50, start=date(2025, 1, 1), days=2)
    return path


def test_validate_passes_against_the_live_source(configs: Path, demo_source: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--configs", str(configs)])
    assert result.exit_code == 0, result.output
    assert "OK: environment 'local', 10 tables in 1 sources" in result.output


def test_watermark_column_missing_in_the_source(configs: Path, demo_source: Path) -> None:
    edit(configs / "sources/shop.yaml", lambda d: table(d, "orders").update(watermark="modified_at"))
    result = CliRunner().invoke(main, ["validate", "--configs", str(configs)])
    assert result.exit_code == 1
    assert "shop.yaml: tables[4].watermark: column 'modified_at' does not exist in shop.orders" in result.output
    assert "Fix: use one of: order_id, customer_id" in result.output


def test_missing_source_table(configs: Path, demo_source: Path) -> None:
    edit(configs / "sources/shop.yaml", lambda d: d["tables"].append({**table(d, "orders"), "name": "refunds"}))
    result = CliRunner().invoke(main, ["validate", "--configs", str(configs)])
    assert result.exit_code == 1
    assert "shop.yaml: tables[10].name: table 'refunds' does not exist in source 'shop'" in result.output


def test_cli_reports_config_errors_without_a_traceback(configs: Path) -> None:
    edit(configs / "sources/shop.yaml", lambda d: table(d, "orders").update(primary_keys=["x"]))
    result = CliRunner().invoke(main, ["validate", "--offline", "--configs", str(configs)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "unknown key 'primary_keys'" in result.output


@pytest.mark.parametrize("dialect,expected", [("mysql", "`order_id`"), ("postgres", '"order_id"')])
def test_identifiers_are_quoted(dialect: str, expected: str) -> None:
    assert quote_identifier("order_id", dialect) == expected
    with pytest.raises(ValueError, match="not a safe identifier"):
        quote_identifier('x"; drop table y; --', dialect)
