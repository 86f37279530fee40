"""The automation gate on real runs: a dbt model downstream of a SRC asset whose blocking `quality` check
failed is not requested by declarative automation until the check passes again.

The runs are real (MariaDB demo source, local lake, DuckDB; RAW and SRC of orders through the main job);
the condition is evaluated with Dagster's own evaluator on the instance those runs wrote to, tick after tick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, evaluate_automation_conditions

from conftest import mysql_connect
from pipeline_helpers import START, make_project, mysql_source_config, subset
from strataflow.config import Project, load_project
from strataflow.definitions import build_definitions
from strataflow.defs.jobs import MAIN_JOB
from strataflow.demo import create_schema, generate

pytestmark = pytest.mark.slow
DAY = START.isoformat()
SRC = AssetKey(["src", "shop", "orders"])
VIN = AssetKey(["vin", "vin_orders"])  # the dbt model reading src/shop/orders only
LATER = datetime.combine(START + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)


@pytest.fixture
def project(mysql_db: str, tmp_path: Path) -> Iterator[Project]:
    with contextlib.closing(mysql_connect(mysql_db)) as conn:
        create_schema(conn, "mysql")
        generate(conn, "mysql", scale=40, start=START, days=1)
    yield make_project(
        tmp_path,
        mysql_source_config(mysql_db),
        {"kind": "local", "path": str(tmp_path / "lake")},
        {"kind": "duckdb", "path": str(tmp_path / "warehouse.duckdb")},
    )


def run_src(project: Project, instance: DagsterInstance) -> tuple[Any, Any]:
    """RAW and SRC of orders for DAY through the main job; returns the definitions and the run's result."""
    defs = build_definitions(project)
    job = subset(defs.resolve_job_def(MAIN_JOB), [AssetKey(["raw", "shop", "orders"]), SRC])
    return defs, job.execute_in_process(partition_key=DAY, instance=instance, raise_on_error=False)


def quality_passed(result: Any) -> bool:
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "quality"]
    return check.passed


def tick(defs: Any, instance: DagsterInstance, cursor: Any) -> Any:
    return evaluate_automation_conditions(
        defs, instance, asset_selection=AssetSelection.assets(VIN), evaluation_time=LATER, cursor=cursor
    )


def child_true(result: Any, label: str) -> int:
    """Size of the true subset of the condition's operand labelled `label` (in the evaluation tree)."""
    (evaluation,) = [r for r in result.results if r.key == VIN]
    stack = [evaluation.serializable_evaluation]
    while stack:
        node = stack.pop()
        if node.condition_snapshot.label == label:
            return node.true_subset.size
        stack.extend(node.child_evaluations)
    raise AssertionError(f"no operand labelled {label!r}")


def test_downstream_waits_for_a_failed_blocking_check_until_it_passes(project: Project) -> None:
    instance = DagsterInstance.ephemeral()
    suite = project.configs_dir / "expectations" / "shop" / "orders.yaml"
    good = suite.read_text()

    first = tick(build_definitions(project), instance, None)  # the evaluator's first tick only sets its cursor
    assert first.get_num_requested(VIN) == 0
    defs, passed = run_src(project, instance)  # a partition that passes: SRC/DAY materialized
    assert quality_passed(passed)

    # Before automation's next tick, a re-run of the partition fails its check: rejected, not materialized.
    suite.write_text(good + "  - row_count_between: {max: 1}\n")
    defs, failed = run_src(load_project(project.configs_dir, "test"), instance)
    assert not quality_passed(failed)
    blocked = tick(defs, instance, first.cursor)
    assert blocked.get_requested_partitions(VIN) == set()
    # The gate is what holds it back: the eager part is true for DAY (SRC updated), the check part is not.
    assert child_true(blocked, "eager") == 1
    assert child_true(blocked, "all_deps_blocking_checks_passed") == 0
    still = tick(defs, instance, blocked.cursor)  # and it stays held on later ticks
    assert still.get_requested_partitions(VIN) == set()

    suite.write_text(good)  # fixed: the partition passes and is materialized again
    defs, fixed = run_src(load_project(project.configs_dir, "test"), instance)
    assert quality_passed(fixed)
    released = tick(defs, instance, still.cursor)
    assert released.get_requested_partitions(VIN) == {DAY}
