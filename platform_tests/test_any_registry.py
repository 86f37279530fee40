"""Any registry runs: a registry without the demo source loads in Dagster, runs with `strataflow run`, and
leaves the checkout untouched; the dbt build folder follows the registry (a removed source leaves no stale
manifest); trimming is a per-column choice; the audit batch id joins the rows; validate explains an
unreachable source instead of crashing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from conftest import MYSQL, mysql_connect
from strataflow.cli import main
from strataflow.config import load_project
from strataflow.dbt_build import prepare_dbt_build

REPO = Path(__file__).resolve().parents[1]


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored=no"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


def write_configs(root: Path, database: str, sources: dict[str, list[dict]]) -> Path:
    configs = root / "configs"
    (configs / "sources").mkdir(parents=True, exist_ok=True)
    connection = {"kind": "mysql", "host": MYSQL["host"], "port": MYSQL["port"], "user": MYSQL["user"]}
    platform = {
        "default_environment": "local",
        "environments": {
            "local": {
                "sources": {name: {**connection, "database": database} for name in sources},
                "lake": {"kind": "local", "path": str(root / "lake")},
                "warehouse": {"kind": "duckdb", "path": str(root / "warehouse.duckdb")},
            }
        },
    }
    (configs / "platform.yaml").write_text(yaml.safe_dump(platform))
    for old in (configs / "sources").glob("*.yaml"):
        old.unlink()
    for name, tables in sources.items():
        (configs / "sources" / f"{name}.yaml").write_text(yaml.safe_dump({"tables": tables}, sort_keys=False))
    return configs


ACCOUNTS = {
    "name": "accounts",
    "load_type": "incremental",
    "primary_key": ["account_id"],
    "watermark": "updated_at",
    "partitioning": {"grain": "daily", "start": "2025-01-01"},
    "columns": {"note": {"trim": False}},
}
REGIONS = {"name": "regions", "load_type": "full", "primary_key": ["code"], "partitioning": ACCOUNTS["partitioning"]}


@pytest.fixture
def crm_db(mysql_db: str) -> str:
    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE accounts (account_id INT PRIMARY KEY, name VARCHAR(40), note TEXT, "
            "balance DECIMAL(12,2), updated_at DATETIME(6) NOT NULL)"
        )
        cur.executemany(
            "INSERT INTO accounts VALUES (%s, %s, %s, %s, %s)",
            [
                (1, "  Ada ", "  indented\nfree text  ", "10.50", "2025-01-02 08:00:00.123456"),
                (2, "Bob", "plain", "-3.25", "2025-01-02 23:59:59.999999"),
                (3, "Cy", None, None, "2025-01-03 00:00:00"),
            ],
        )
        cur.execute("CREATE TABLE regions (code CHAR(2) PRIMARY KEY, label VARCHAR(20))")
        cur.executemany("INSERT INTO regions VALUES (%s, %s)", [("EU", "Europe"), ("US", "United States")])
        conn.commit()
    return mysql_db


@pytest.mark.slow
def test_a_registry_without_the_demo_source_runs_and_leaves_the_checkout_clean(
    crm_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `run` exports these (and DAGSTER_HOME) for the runs it starts: setenv makes monkeypatch restore them
    for var in ("STRATAFLOW_CONFIGS", "STRATAFLOW_ENV", "DAGSTER_HOME"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    monkeypatch.setenv("STRATAFLOW_HOME", str(tmp_path / "home"))
    before = git_status()
    configs = write_configs(tmp_path, crm_db, {"crm": [ACCOUNTS], "erp": [REGIONS]})

    result = CliRunner().invoke(main, ["run", "--configs", str(configs), "--partition", "2025-01-02"])
    assert result.exit_code == 0, result.output
    assert "1/1 partition run(s) succeeded" in result.output
    assert "[1/1] 2025-01-02: ok" in result.output

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute("select account_id, name, note, balance from src.crm__accounts order by 1").fetchall()
        assert [(r[0], r[1], r[2], str(r[3])) for r in rows] == [
            (1, "Ada", "  indented\nfree text  ", "10.50"),  # name trimmed (default), note kept (trim: false)
            (2, "Bob", "plain", "-3.25"),
        ]
        assert conn.execute("select count(*) from src.erp__regions").fetchone() == (2,)
        orphans = conn.execute(
            "select count(*) from src.crm__accounts t where not exists "
            "(select 1 from audit.load_log a where a.batch_id = t._batch_id and a.partition = t._partition)"
        ).fetchone()
        assert orphans == (0,)  # the audit row's batch id is the rows' _batch_id

    # the dbt build folder follows the registry: a removed source is gone from the manifest
    build = prepare_dbt_build(load_project(configs, "local"))
    assert not build.dir.is_relative_to(REPO)
    manifest = json.loads(build.manifest.read_text())
    assert {s["source_name"] for s in manifest["sources"].values()} == {"crm", "erp"}
    assert not [n for n in manifest["nodes"] if n.startswith("model.")]  # the demo models are disabled
    assert any(n.startswith("test.strataflow.source_unique_erp_regions_code") for n in manifest["nodes"])
    write_configs(tmp_path, crm_db, {"crm": [ACCOUNTS]})
    build = prepare_dbt_build(load_project(configs, "local"))
    manifest = json.loads(build.manifest.read_text())
    assert {s["source_name"] for s in manifest["sources"].values()} == {"crm"}
    assert not [n for n in manifest["nodes"] if "erp" in n]

    assert git_status() == before


def test_validate_explains_an_unreachable_source(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    (configs / "platform.yaml").write_text(
        yaml.safe_dump(
            {
                "environments": {
                    "local": {
                        "sources": {"crm": {"kind": "sqlite", "path": str(tmp_path / "missing.sqlite")}},
                        "lake": {"kind": "local", "path": str(tmp_path / "lake")},
                        "warehouse": {"kind": "duckdb", "path": str(tmp_path / "wh.duckdb")},
                    }
                }
            }
        )
    )
    (configs / "sources" / "crm.yaml").write_text(yaml.safe_dump({"tables": [REGIONS]}))
    result = CliRunner().invoke(main, ["validate", "--configs", str(configs), "--env", "local"])
    assert result.exit_code == 1
    assert "cannot read source 'crm'" in result.output
    assert "strataflow demo-source --sqlite" in result.output
    assert "Traceback" not in result.output
    assert "--setup-only" not in result.output
