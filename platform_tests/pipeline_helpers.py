"""Helpers for end-to-end tests: a project on a test source and lake, job runs, lake and source reads."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult, JobDefinition

from conftest import MYSQL, mysql_connect
from strataflow.config import Project, TableRef, load_project
from strataflow.connections import open_storage
from strataflow.definitions import build_definitions
from strataflow.defs.jobs import MAIN_JOB
from strataflow.lake import LakeStorage, partition_prefix, read_committed
from strataflow.local_runs import checks_run_with
from strataflow.transform.masking import mask_value

REPO = Path(__file__).resolve().parents[1]
START = date(2025, 1, 1)
SALT = "test-salt"


def make_project(tmp_path: Path, source: dict[str, Any], lake: dict[str, Any], warehouse: dict[str, Any]) -> Project:
    """A copy of the repo's configs with a 'test' environment pointing at the given parts."""
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    platform = yaml.safe_load((configs / "platform.yaml").read_text())
    platform["environments"]["test"] = {
        "sources": {"shop": source},
        "lake": lake,
        "warehouse": warehouse,
        "pii_salt": "${TEST_PII_SALT:-" + SALT + "}",
    }
    (configs / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    return load_project(configs, "test")


def run_partitions(
    project: Project,
    keys: list[str],
    instance: DagsterInstance,
    *,
    job: JobDefinition | None = None,
    asset_selection: Sequence[AssetKey] | None = None,
) -> list[ExecuteInProcessResult]:
    """Run the main job (or `job`, built once by the caller) for each partition key, one run each;
    `asset_selection` runs a subset of its assets."""
    job = job or build_definitions(project).resolve_job_def(MAIN_JOB)
    if asset_selection:
        job = subset(job, asset_selection)
    results = []
    for key in keys:
        result = job.execute_in_process(partition_key=key, instance=instance)
        assert result.success, key
        results.append(result)
    return results


def subset(job: JobDefinition, keys: Sequence[AssetKey]) -> JobDefinition:
    """`job` limited to `keys` and the checks their own steps run (not dbt's source tests on SRC assets,
    which `asset_selection=` would take, starting dbt in a RAW/SRC-only run)."""
    assets = frozenset(keys)
    return job.get_subset(asset_selection=assets, asset_check_selection=checks_run_with(job, assets))


def run_lake_partitions(project: Project, keys: list[str], instance: DagsterInstance) -> list[ExecuteInProcessResult]:
    """Run only the RAW and SRC assets of the main job (no dbt) for each partition key."""
    defs = build_definitions(project)
    lake = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] in ("raw", "src")]
    return run_partitions(project, keys, instance, job=defs.resolve_job_def(MAIN_JOB), asset_selection=lake)


def day_keys(first: int, last: int) -> list[str]:
    return [(START + timedelta(days=d)).isoformat() for d in range(first, last + 1)]


def lake_snapshot(storage: LakeStorage, layer: str = "") -> dict[str, bytes]:
    """Every file below the lake root (or one layer) with its bytes."""
    from pyarrow import fs as pafs

    selector = pafs.FileSelector(storage.uri(layer) if layer else storage.root, recursive=True, allow_not_found=True)
    return {
        info.path: storage.read_bytes(info.path[len(storage.root) + 1 :])
        for info in storage.fs.get_file_info(selector)
        if info.type == pafs.FileType.File
    }


def src_log(project: Project, ref: TableRef, keys: list[str]) -> list[dict[str, Any]]:
    storage = open_storage(project)
    rows: list[dict[str, Any]] = []
    for key in keys:
        committed = read_committed(storage, partition_prefix("src", ref.source, ref.name, key))
        if committed is not None:
            rows.extend(committed[1].to_pylist())
    return rows


def src_current(project: Project, ref: TableRef, keys: list[str]) -> dict[tuple, dict[str, Any]]:
    """Latest row per key across the SRC change log (by watermark, then partition); deletes dropped."""
    cfg = ref.config
    pk = [cfg.output_name(c) for c in cfg.primary_key]
    wm = cfg.output_name(cfg.watermark) if cfg.watermark else None
    latest: dict[tuple, dict[str, Any]] = {}
    for row in src_log(project, ref, keys):
        key = tuple(row[c] for c in pk)
        rank = (row[wm] if wm else None, row["_partition"])
        if key not in latest or rank >= (latest[key][wm] if wm else None, latest[key]["_partition"]):
            latest[key] = row
    return {k: v for k, v in latest.items() if v["_op"] != "D"}


def expected_src_row(ref: TableRef, source_row: dict[str, Any]) -> dict[str, Any]:
    """What standardization must make of one source row, written independently of the transform."""
    cfg = ref.config
    out = {}
    for column, value in source_row.items():
        if isinstance(value, str):
            value = value.strip()
        if column in cfg.pii and value is not None:
            value = mask_value(value, SALT)
        elif isinstance(value, datetime):
            value = value.replace(tzinfo=UTC)
        elif isinstance(value, str) and column in cfg.columns and cfg.columns[column].type == "decimal":
            value = Decimal(value)
        if cfg.columns.get(column) and cfg.columns[column].type == "bool" and value is not None:
            value = bool(value)
        out[cfg.output_name(column)] = value
    return out


def arrow_rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def mysql_source_config(database: str) -> dict[str, Any]:
    """The `sources.shop` entry of a test environment reading the MariaDB database `database`."""
    return {
        "kind": "mysql",
        "host": MYSQL["host"],
        "port": MYSQL["port"],
        "user": MYSQL["user"],
        "password": "${TEST_MYSQL_PASSWORD:-}",
        "database": database,
    }


def source_rows(database: str, table: str) -> list[dict[str, Any]]:
    """Every row of a table of the MariaDB demo source, as pymysql returns it."""
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM `{table}`")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
