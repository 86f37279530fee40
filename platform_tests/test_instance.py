"""The instance config strataflow writes (run queue, DuckDB pool, run monitoring), and what it is for: two
runs submitted at once against one DuckDB warehouse both succeed, one after the other, with the real
`dagster-daemon` dequeuing them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from strataflow.instance import DUCKDB_POOL, ensure_instance_config

FIXTURE = Path(__file__).parent / "fixtures" / "duckdb_pool_defs.py"
BIN = Path(sys.executable).parent


def test_instance_config_is_written_and_keeps_the_operators_keys(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(
        "storage:\n  sqlite:\n    base_dir: /data\nrun_coordinator:\n  module: dagster.core.run_coordinator\n"
        "  class: QueuedRunCoordinator\n  config:\n    max_concurrent_runs: 1\n"
    )
    path = ensure_instance_config(tmp_path)
    cfg = yaml.safe_load(path.read_text())
    assert cfg["storage"] == {"sqlite": {"base_dir": "/data"}}
    assert cfg["run_coordinator"] == {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"}
    assert cfg["concurrency"]["pools"] == {"granularity": "run", "default_limit": 1}
    assert cfg["run_monitoring"]["enabled"] is True
    before = path.stat().st_mtime_ns
    ensure_instance_config(tmp_path)
    assert path.stat().st_mtime_ns == before  # idempotent: unchanged file not rewritten
    # The instance loads it.
    home = tmp_path / "home"
    ensure_instance_config(home)
    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_monitoring_enabled
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_the_module_sets_up_the_instance_of_dagster_home(tmp_path: Path) -> None:
    """`python -m strataflow.instance` before `dagster dev` on a new DAGSTER_HOME (docs/operations.md)."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    refused = subprocess.run([sys.executable, "-m", "strataflow.instance"], env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "DAGSTER_HOME is not set" in refused.stderr
    home = tmp_path / "new-home"
    done = subprocess.run(
        [sys.executable, "-m", "strataflow.instance"], env=env | {"DAGSTER_HOME": str(home)}, capture_output=True
    )
    assert done.returncode == 0
    assert yaml.safe_load((home / "dagster.yaml").read_text())["run_monitoring"]["enabled"] is True


def test_docker_instance_config_has_the_same_settings() -> None:
    docker = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker" / "dagster.yaml").read_text())
    from strataflow.instance import instance_settings

    for key, value in instance_settings().items():
        assert docker[key] == value, key


@pytest.mark.slow
def test_two_runs_against_one_duckdb_warehouse_queue_and_both_succeed(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    ensure_instance_config(home)
    warehouse = tmp_path / "warehouse.duckdb"
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(yaml.safe_dump({"load_from": [{"python_file": {"relative_path": str(FIXTURE)}}]}))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "STRATAFLOW_TEST_DUCKDB": str(warehouse),
        "STRATAFLOW_TEST_HOLD_S": "1",
    }

    def launch(partition: str) -> subprocess.Popen:
        tags = f'{{"dagster/partition": "{partition}"}}'
        cmd = [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", "write_job", "--tags", tags]
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    with DagsterInstance.from_config(str(home)):
        pass  # the instance's storage exists before anything is submitted, as it does in a deployment
    launches = [launch("2024-01-01"), launch("2024-01-02")]  # submitted at once
    for proc in launches:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode()[-2000:]

    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            assert len(instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.QUEUED]))) == 2
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                if all(r.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE) for r in runs):
                    break
                time.sleep(1)
            assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS] * 2, [r.status for r in runs]
            assert instance.event_log_storage.get_pool_limits()[0].name == DUCKDB_POOL
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        writes = con.execute("SELECT started, finished FROM writes ORDER BY started").fetchall()
    assert len(writes) == 2
    assert writes[0][1] <= writes[1][0]  # one after the other, never both holding the file
