"""`strataflow discover` on a MariaDB schema the project has never seen (byos_schema): the proposed registry
validates unchanged, its guesses say why, foreign keys are declared or inferred (marked), `--diff` reports
an added column and a type change, and RAW + SRC of one partition load every table exactly."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

import byos_schema
from conftest import MYSQL, mysql_connect
from strataflow.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def erp(mysql_db: str, tmp_path: Path) -> tuple[str, Path, dict]:
    with mysql_connect(mysql_db) as conn:
        data = byos_schema.create(conn)
    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    connection = {"kind": "mysql", "host": MYSQL["host"], "port": MYSQL["port"], "user": MYSQL["user"]}
    platform = {
        "environments": {
            "local": {
                "sources": {"erp": {**connection, "database": mysql_db}},
                "lake": {"kind": "local", "path": str(tmp_path / "lake")},
                "warehouse": {"kind": "duckdb", "path": str(tmp_path / "warehouse.duckdb")},
                "pii_salt": "${TEST_SALT:-test-salt}",
            }
        }
    }
    (configs / "platform.yaml").write_text(yaml.safe_dump(platform))
    return mysql_db, configs, data


def discover(configs: Path, *extra: str):
    return CliRunner().invoke(
        main, ["discover", "--configs", str(configs), "--env", "local", "--source", "erp", *extra]
    )


def test_discover_proposes_a_registry_that_validates_with_reasons(erp) -> None:
    _, configs, _ = erp
    result = discover(configs)
    assert result.exit_code == 0, result.output
    text = (configs / "sources/erp.yaml").read_text()
    tables = {t["name"]: t for t in yaml.safe_load(text)["tables"]}
    assert set(tables) == {"customers", "orders", "products", "order_lines", "audit_events"}

    assert tables["audit_events"]["load_type"] == "full"
    assert "audit_events\n    load_type: full  # no primary key" in text
    assert tables["customers"] | {"pii": sorted(tables["customers"]["pii"])} == tables["customers"] | {
        "load_type": "cdc",
        "primary_key": ["customer_id"],
        "watermark": "updated_at",
        "soft_delete": "deleted_at",
        "created": "created_at",
        "pii": ["email", "full_name"],
    }
    assert "email: name contains 'email'; values look like email 100%" in text
    assert tables["customers"]["description"] == "people who ordered at least once"  # from the table comment
    assert tables["order_lines"]["primary_key"] == ["order_id", "line_no"]  # composite key
    assert tables["orders"]["load_type"] == "incremental"
    assert "watermark: updated_at  # change timestamp, indexed" in text
    assert tables["products"]["load_type"] == "full"
    assert "products\n    load_type: full  # no change timestamp column" in text
    assert yaml.safe_load(text)["defaults"]["partitioning"] == {"grain": "daily", "start": byos_schema.DAY}

    snapshot = json.loads((configs / "catalog/erp.json").read_text())
    fks = {
        (t["name"], tuple(fk["columns"]), fk["ref_table"], fk["inferred"])
        for t in snapshot["tables"]
        for fk in t["foreign_keys"]
    }
    assert fks == {
        ("orders", ("customer_id",), "customers", False),  # declared
        ("order_lines", ("order_id",), "orders", True),  # inferred from the name, values contained
        ("order_lines", ("product_code",), "products", True),  # inferred: the name of products' key
    }
    sizes = {t["name"]: (t["row_count"], t["row_count_exact"]) for t in snapshot["tables"]}
    assert sizes["order_lines"] == (len(erp[2]["order_lines"]), True)

    validate = CliRunner().invoke(main, ["validate", "--configs", str(configs), "--env", "local"])
    assert validate.exit_code == 0, validate.output

    again = discover(configs)  # never overwrites without --force
    assert again.exit_code != 0 and "--force" in again.output
    assert discover(configs, "--force").exit_code == 0


def test_diff_reports_an_added_column_and_a_type_change(erp) -> None:
    database, configs, _ = erp
    assert discover(configs).exit_code == 0
    assert "no change" in discover(configs, "--diff").output
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE orders ADD COLUMN channel VARCHAR(20) NULL")
        cur.execute("ALTER TABLE orders MODIFY amount DECIMAL(14,2) NOT NULL")
        cur.execute("CREATE TABLE refunds (refund_id INT PRIMARY KEY)")
        cur.execute("ALTER TABLE products DROP COLUMN weight_kg")
    result = discover(configs, "--diff")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "orders: + column channel varchar(20)" in lines
    assert "orders: ~ column amount type decimal(12,2) -> decimal(14,2)" in lines
    assert "products: - column weight_kg (dropped)" in lines
    assert any(line.startswith("+ table refunds") for line in lines)


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout


def add_table(configs: Path, dbt_dir: Path, table: str, *extra: str):
    args = ["add-table", "--configs", str(configs), "--env", "local", "--source", "erp", "--table", table]
    return CliRunner().invoke(main, [*args, "--dbt-dir", str(dbt_dir), *extra])


def test_add_table_appends_a_commented_entry_that_validates(erp, tmp_path: Path) -> None:
    _, configs, _ = erp
    assert discover(configs, "--table", "customers", "--table", "orders").exit_code == 0
    dbt_dir = tmp_path / "dbt"
    result = add_table(configs, dbt_dir, "order_lines", "--vault", "link")
    assert result.exit_code == 0, result.output
    text = (configs / "sources/erp.yaml").read_text()
    assert "  - name: order_lines\n    load_type: incremental  # key and change timestamp" in text
    assert "FK order_id -> orders.order_id (inferred" in text
    assert CliRunner().invoke(main, ["validate", "--configs", str(configs), "--env", "local"]).exit_code == 0
    suite = yaml.safe_load((configs / "expectations/erp/order_lines.yaml").read_text())["expectations"]
    assert {"unique": ["order_id", "line_no"]} in suite
    assert {"columns_match": True} in suite
    link = (dbt_dir / "models/vlt/erp/vlt_link_erp_order_lines.sql").read_text()
    assert 'hubs={"orders_hk": "order_id", "products_hk": "product_code"}' in link
    assert 'dependent_keys=["line_no"]' in link
    assert (dbt_dir / "models/vin/erp/_vin_erp_order_lines.yml").exists()
    again = add_table(configs, dbt_dir, "order_lines")
    assert "kept" in again.output  # nothing overwritten without --force


@pytest.mark.slow
def test_the_discovered_registry_loads_every_table_exactly(erp, tmp_path: Path, monkeypatch) -> None:
    """RAW and SRC of one partition from the discovered file, unedited: exact counts, decimals, microseconds;
    the models add-table scaffolds (VIN, a satellite, a link) pass `dbt build` in the same run."""
    _, configs, data = erp
    # `run` exports these (and DAGSTER_HOME) for the runs it starts: setenv makes monkeypatch restore them
    for var in ("STRATAFLOW_CONFIGS", "STRATAFLOW_ENV", "DAGSTER_HOME"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    monkeypatch.setenv("STRATAFLOW_HOME", str(tmp_path / "home"))
    dbt_dir = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", dbt_dir, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    monkeypatch.setenv("STRATAFLOW_DBT_DIR", str(dbt_dir))
    before = git_status()
    assert discover(configs).exit_code == 0
    registry = (configs / "sources/erp.yaml").read_text()
    assert add_table(configs, dbt_dir, "customers", "--vault", "satellite").exit_code == 0
    assert add_table(configs, dbt_dir, "order_lines", "--vault", "link").exit_code == 0
    assert (configs / "sources/erp.yaml").read_text() == registry  # already there: the registry is left alone
    result = CliRunner().invoke(main, ["run", "--configs", str(configs), "--partition", byos_schema.DAY])
    assert result.exit_code == 0, result.output
    # RAW + SRC of 5 tables, 2 VIN views, the satellite and the link; every dbt test passed as a check
    assert "14 assets materialized" in result.output
    passed, total = re.search(r"(\d+)/(\d+) checks passed", result.output).groups()
    assert passed == total and int(total) >= 8

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        for table, rows in data.items():
            assert conn.execute(f"select count(*) from src.erp__{table}").fetchone() == (len(rows),), table
        types = dict(
            conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'src' and table_name = 'erp__orders'"
            ).fetchall()
        )
        assert types["amount"] == "DECIMAL(12,2)"
        assert types["updated_at"].startswith("TIMESTAMP")
        lines = conn.execute("select order_id, line_no, unit_price from src.erp__order_lines order by 1, 2").fetchall()
        assert lines == sorted((r[0], r[1], r[4]) for r in data["order_lines"])
        assert isinstance(lines[0][2], Decimal)
        micros = {r[0] for r in conn.execute("select strftime(updated_at, '%f') from src.erp__customers").fetchall()}
        assert micros == {r[5][-6:] for r in data["customers"]}  # DATETIME(6) keeps its microseconds
        deleted = conn.execute("select count(*) from src.erp__customers where _op = 'D'").fetchone()[0]
        assert deleted == sum(1 for r in data["customers"] if r[6])
        emails = conn.execute("select email from src.erp__customers limit 1").fetchone()[0]
        assert len(emails) == 64 and "@" not in emails  # masked as PII
    assert git_status() == before


def test_profile_figures_match_the_data_and_the_dictionary_opens_in_chromium(erp, tmp_path: Path) -> None:
    _, configs, data = erp
    assert discover(configs).exit_code == 0
    registry = configs / "sources/erp.yaml"
    registry.write_text(
        registry.read_text().replace("  - name: orders\n", "  - name: orders\n    description: one row per order\n")
    )
    out = tmp_path / "dictionary"
    result = CliRunner().invoke(
        main, ["profile", "--configs", str(configs), "--env", "local", "--source", "erp", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    profile = json.loads((out / "erp.profile.json").read_text())
    tables = {t["name"]: t for t in profile["tables"]}
    customers = {c["name"]: c for c in tables["customers"]["columns"]}
    rows = data["customers"]

    names = [r[2] for r in rows]
    assert customers["full_name"]["null_ratio"] == pytest.approx(sum(n is None for n in names) / len(rows))
    assert customers["full_name"]["distinct"] == len({n for n in names if n is not None})
    assert customers["full_name"]["min"] == min(n for n in names if n) and customers["full_name"]["max"] == max(
        n for n in names if n
    )
    assert customers["email"]["max_length"] == max(len(r[1]) for r in rows)
    assert customers["email"]["patterns"] == {"email": 1.0}
    assert customers["email"]["pii"] and customers["full_name"]["pii"]
    segments = sorted(((s, sum(r[3] == s for r in rows)) for s in {r[3] for r in rows}), key=lambda x: (-x[1], x[0]))
    assert [tuple(v) for v in customers["segment"]["top_values"]] == segments[:5]
    assert customers["segment"]["slowly_changing"] is True
    assert customers["customer_id"]["candidate_key"] is True
    amounts = [r[2] for r in data["orders"]]
    orders = {c["name"]: c for c in tables["orders"]["columns"]}
    assert (Decimal(orders["amount"]["min"]), Decimal(orders["amount"]["max"])) == (min(amounts), max(amounts))
    assert ["order_id", "line_no"] in tables["order_lines"]["candidate_keys"]

    markdown = (out / "erp.md").read_text()
    assert "```mermaid\nerDiagram" in markdown
    assert 'orders ||..o{ order_lines : "order_id (inferred)"' in markdown
    assert 'customers ||--o{ orders : "customer_id"' in markdown
    assert "| [orders](#orders) | 40 | incremental | one row per order |" in markdown  # registry description

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((out / "erp.html").as_uri())
        shown = page.locator("section.table h2").all_inner_texts()
        assert sorted(shown) == sorted(data)  # every table has its section
        assert page.locator("#orders .description").inner_text() == "one row per order"
        assert page.locator("#customers").get_by_text("PII?").count() == 2
        browser.close()
    assert requests == [(out / "erp.html").as_uri()]  # self-contained: nothing else loaded
