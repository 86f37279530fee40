"""Freshness in Dagster: the `freshness` check of the code location fails once the newest committed SRC
partition lags more than the table's max_lag and passes within it, and the SRC asset carries the
matching FreshnessPolicy. The lake is real (a local folder, partitions committed through strataflow.lake);
the check runs in the `strataflow_freshness` job of the definitions built from the configs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance, Definitions
from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy

from pipeline_helpers import make_project, mysql_source_config
from strataflow.config import Project
from strataflow.connections import open_storage
from strataflow.definitions import build_definitions
from strataflow.defs.freshness import FRESHNESS_JOB
from strataflow.lake import Spool, commit_partition

ORDERS = AssetKey(["src", "shop", "orders"])  # configs/sources/shop.yaml: freshness: {max_lag: 26h}
CHECK = AssetCheckKey(ORDERS, "freshness")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    tmp = tmp_path_factory.mktemp("fresh")
    # The freshness check reads only the lake: the source is never connected to.
    return make_project(
        tmp,
        mysql_source_config("sf_never_connected"),
        {"kind": "local", "path": str(tmp / "lake")},
        {"kind": "duckdb", "path": str(tmp / "warehouse.duckdb")},
    )


@pytest.fixture(scope="module")
def defs(project: Project) -> Definitions:
    return build_definitions(project)


def commit_src(project: Project, partition: str) -> None:
    """Commit a one-row SRC partition of shop.orders to the lake, as a SRC run leaves it."""
    storage = open_storage(project)
    table = pa.table({"order_id": [1]})
    with Spool(table.schema, root=storage.spool_dir) as spool:
        spool.write(table.to_batches()[0])
        commit_partition(storage, layer="src", source="shop", table="orders", partition=partition, files=spool.finish())


def run_freshness_check(defs: Definitions) -> tuple[bool, dict]:
    job = defs.resolve_job_def(FRESHNESS_JOB).get_subset(asset_check_selection={CHECK})
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.asset_check_key == CHECK
    return evaluation.passed, {k: v.value for k, v in evaluation.metadata.items()}


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def test_src_asset_carries_the_freshness_policy_of_its_max_lag(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    policy = graph.get(ORDERS).freshness_policy
    assert isinstance(policy, TimeWindowFreshnessPolicy)
    assert policy.fail_window.to_timedelta() == timedelta(hours=26)
    assert graph.get(AssetKey(["src", "shop", "vendors"])).freshness_policy is None  # no freshness: configured


def test_freshness_check_fails_past_max_lag_then_passes_within_it(project: Project, defs: Definitions) -> None:
    commit_src(project, day(-3))  # its window ended 2 days ago: beyond 26 h
    passed, metadata = run_freshness_check(defs)
    assert not passed
    assert metadata["newest_partition"] == day(-3)
    assert 48 <= metadata["lag_hours"] < 72 and metadata["max_lag_hours"] == 26.0

    commit_src(project, day(-1))  # its window ended at midnight today: less than 24 h ago
    passed, metadata = run_freshness_check(defs)
    assert passed
    assert metadata["newest_partition"] == day(-1) and 0 <= metadata["lag_hours"] <= 26
