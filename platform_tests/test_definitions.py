"""The code location loads from workspace.yaml, and the asset graph has the expected shape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from strataflow.definitions import build_definitions

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
