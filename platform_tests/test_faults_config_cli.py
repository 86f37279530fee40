"""Operator faults: wrong credentials at the CLI, secrets and defaults in configs, a killed run's spool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest
import yaml
from click.testing import CliRunner

from conftest import MYSQL
from fault_workers import finish, spawn
from strataflow.cli import main
from strataflow.config import ConfigError, load_project
from strataflow.connections import open_storage
from strataflow.lake import Spool, clean_stale_spools, spool

DAY = "2025-01-01"


def write_configs(tmp_path: Path, source: dict[str, Any], registry: dict[str, Any]) -> Path:
    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    env = {
        "sources": {"src1": source},
        "lake": {"kind": "local", "path": str(tmp_path / "lake")},
        "warehouse": {"kind": "duckdb", "path": str(tmp_path / "wh.duckdb")},
    }
    (configs / "platform.yaml").write_text(
        yaml.safe_dump({"default_environment": "test", "environments": {"test": env}})
    )
    (configs / "sources" / "src1.yaml").write_text(yaml.safe_dump(registry))
    return configs


def mysql_source(database: str = "mysql", password: str = "${TEST_MYSQL_PASSWORD:-}") -> dict[str, Any]:
    return {"kind": "mysql", "host": MYSQL["host"], "port": MYSQL["port"], "user": MYSQL["user"]} | {
        "password": password,
        "database": database,
    }


ONE_TABLE = {"tables": [{"name": "user", "load_type": "full", "partitioning": {"start": DAY}}]}


# ---------------------------------------------------------------- configs


def test_a_literal_secret_next_to_a_reference_is_rejected(tmp_path: Path) -> None:
    configs = write_configs(tmp_path, mysql_source(password="Lit3ral${X:-}"), ONE_TABLE)
    with pytest.raises(ConfigError) as caught:
        load_project(configs)
    assert "environments.test.sources.src1.password: secrets must not be written in config files" in str(caught.value)


def test_an_invalid_default_is_reported_once_at_defaults(tmp_path: Path) -> None:
    registry = {
        "defaults": {"load_type": "fulll", "partitioning": {"start": DAY}, "watermrk": "x"},
        "tables": [{"name": n} for n in ("a", "b", "c")] + [{"name": "d", "load_type": "full"}],
    }
    with pytest.raises(ConfigError) as caught:
        load_project(write_configs(tmp_path, mysql_source(), registry))
    paths = [p.key_path for p in caught.value.problems]
    assert sorted(paths) == ["defaults.load_type", "defaults.watermrk"], paths


# ---------------------------------------------------------------- CLI


def test_validate_with_a_wrong_password_is_one_clear_message(tmp_path: Path) -> None:
    configs = write_configs(tmp_path, mysql_source(), ONE_TABLE)
    result = CliRunner(env={"TEST_MYSQL_PASSWORD": "wrong-password"}).invoke(
        main, ["validate", "--configs", str(configs)]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "platform.yaml: environments.test.sources.src1: cannot read source 'src1'" in result.output
    assert "Access denied" in result.output and "password" in result.output.split("Fix:")[1]
    assert len(result.output.strip().splitlines()) <= 3


def test_an_operational_error_is_one_message_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = ["demo-source", "--mysql-url", f"mysql://{MYSQL['user']}:wrong@{MYSQL['host']}:{MYSQL['port']}/x"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the MySQL source refused the connection: Access denied")
    assert "where: strataflow demo-source" in result.output and "fix:" in result.output
    assert "Traceback" not in result.output

    debug = subprocess.run(
        [sys.executable, "-m", "strataflow.cli", "--debug", *args], capture_output=True, text=True, timeout=120
    )
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "OperationalError" in debug.stderr


# ---------------------------------------------------------------- spool


def test_the_spool_lives_under_the_project_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = load_project(write_configs(tmp_path, mysql_source(), ONE_TABLE))
    monkeypatch.delenv("STRATAFLOW_SPOOL_DIR", raising=False)
    monkeypatch.setenv("STRATAFLOW_HOME", str(tmp_path / "home"))
    assert open_storage(project).spool_dir == tmp_path / "home" / "spool"
    monkeypatch.delenv("STRATAFLOW_HOME")
    assert open_storage(project).spool_dir == tmp_path / ".strataflow" / "spool"


def test_a_killed_runs_spool_is_removed_at_the_next_start(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pyarrow as pa\n"
            "from strataflow.lake import Spool\n"
            "s = Spool(pa.schema([('id', pa.int64())]), root=sys.argv[1])\n"
            "s.write(pa.record_batch([pa.array([1, 2, 3])], names=['id']))\n"
            "print(s.dir, flush=True)\n"
            "time.sleep(60)\n",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    killed_dir = Path(child.stdout.readline().strip())  # type: ignore[union-attr]
    assert killed_dir.is_dir()
    with Spool(pa_schema(), root=root) as live:  # a live spool of this process is never taken for stale
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()  # type: ignore[union-attr]
        assert killed_dir.is_dir()  # kill -9: nothing cleaned up after itself
        spool._cleaned.discard(root)  # a new process starting
        with Spool(pa_schema(), root=root):
            pass
        assert not killed_dir.exists()
        assert live.dir.is_dir()


def test_a_spool_being_set_up_is_never_taken_for_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process starts (and cleans stale spools) at the worst moment: after this spool created its
    folder and lock file, before it took the lock. It used to find the lock free and delete the live folder."""
    root = tmp_path / "spool"
    root.mkdir()
    real = spool.fcntl
    cleanups: list[list[str]] = []

    def flock_after_another_process_cleaned(handle: Any, operation: int) -> None:
        if operation == real.LOCK_EX and not cleanups:  # the spool's own blocking lock, taken once
            done = finish(spawn({"job": "spool_clean", "root": str(root)}))
            assert done.returncode == 0, done.stderr[-3000:]
            cleanups.append(json.loads(done.stdout))
        real.flock(handle, operation)

    monkeypatch.setattr(
        spool,
        "fcntl",
        SimpleNamespace(flock=flock_after_another_process_cleaned, LOCK_EX=real.LOCK_EX, LOCK_NB=real.LOCK_NB),
    )
    monkeypatch.setattr(spool, "_cleaned", {root})  # this process's own start-up cleanup is not the point
    with Spool(pa_schema(), rows_per_file=2, root=root) as live:
        live.write(pa.record_batch([pa.array([1, 2, 3, 4, 5])], names=["id"]))
        files = live.finish()
        assert cleanups == [[]]  # the other process removed nothing
        assert [f.rows for f in files] == [2, 2, 1] and all(f.path.is_file() for f in files)
        assert live.dir.name.startswith(spool.SPOOL_PREFIX)
        monkeypatch.setattr(spool, "fcntl", real)
        assert clean_stale_spools(root) == []  # once visible, the folder is locked: still never stale


def test_a_spool_killed_during_its_set_up_is_removed_once_old(tmp_path: Path) -> None:
    """A process killed between creating its pending folder and renaming it leaves a pending folder."""
    old, young = tmp_path / f"{spool.PENDING_PREFIX}1-old", tmp_path / f"{spool.PENDING_PREFIX}2-young"
    for folder in (old, young):
        folder.mkdir()
        (folder / spool.LOCK_NAME).touch()
    os.utime(old, (0, 0))
    assert clean_stale_spools(tmp_path) == [old]
    assert young.is_dir()


def pa_schema() -> pa.Schema:
    return pa.schema([("id", pa.int64())])


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--partition", DAY],
        ["backfill", "--from", DAY, "--to", DAY, "--in-process"],
    ],
    ids=["run", "backfill"],
)
def test_a_failed_run_reports_the_steps_error_at_the_cli(command: list[str], mysql_db: str, tmp_path: Path) -> None:
    """`run` and `backfill --in-process` said only "failed steps: ..."; the error was in the log file."""
    from pipeline_helpers import make_project, mysql_source_config

    lake, warehouse = {"kind": "local", "path": str(tmp_path / "lake")}, {"kind": "duckdb", "path": str(tmp_path / "w")}
    project = make_project(tmp_path, mysql_source_config(mysql_db), lake, warehouse)
    (tmp_path / "dagster").mkdir()
    env = {"TEST_MYSQL_PASSWORD": "wrong-password", "DAGSTER_HOME": str(tmp_path / "dagster")}
    args = [
        *command,
        "--source",
        "shop",
        "--table",
        "customers",
        "--configs",
        str(project.configs_dir),
        "--env",
        "test",
    ]
    result = CliRunner(env=env | {"STRATAFLOW_HOME": str(tmp_path / "home")}).invoke(main, args)
    assert result.exit_code == 1
    assert (
        "Error: raw/shop/customers 2025-01-01: the MySQL source refused the connection: Access denied" in result.output
    )
    assert "  where: step raw__shop__customers of run " in result.output
    assert "  fix:   check the source's user and password" in result.output
    assert "Traceback" not in result.output and "Stack Trace" not in result.output


def test_a_rust_panic_is_one_clear_message(mysql_db: str) -> None:
    """pyo3's PanicException is a BaseException: `except Exception` let it print a traceback."""
    import click
    import connectorx as cx

    from conftest import mysql_connect, mysql_url
    from strataflow.cli_errors import FriendlyErrorGroup

    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute("CREATE TABLE z (d DATE)")
        cur.execute("INSERT INTO z VALUES ('0000-00-00')")
        conn.commit()

    @click.group(cls=FriendlyErrorGroup)
    @click.option("--debug", is_flag=True)
    def cli(debug: bool) -> None:
        pass

    @cli.command()
    def read() -> None:  # connectorx panics on the zero date: a real PanicException
        cx.read_sql(mysql_url(mysql_db), "SELECT d FROM z", return_type="arrow")

    result = CliRunner().invoke(cli, ["read"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: a native driver failed (Rust panic): ")
    assert "where: strataflow read" in result.output and "fix:" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(BaseException) as raised:  # --debug re-raises it, with its traceback
        CliRunner().invoke(cli, ["--debug", "read"])
    assert type(raised.value).__name__ == "PanicException"


def test_discover_with_a_wrong_password_is_one_clear_message_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    configs = write_configs(tmp_path, mysql_source(), ONE_TABLE)
    args = ["discover", "--configs", str(configs), "--source", "src1"]
    result = CliRunner(env={"TEST_MYSQL_PASSWORD": "wrong-password"}).invoke(main, args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the MySQL source refused the connection: Access denied")
    assert "  where: strataflow discover" in result.output
    assert "  fix:   check the source's user and password" in result.output
    assert "Traceback" not in result.output
    debug = subprocess.run(
        [sys.executable, "-m", "strataflow.cli", "--debug", *args],
        env=os.environ | {"TEST_MYSQL_PASSWORD": "wrong-password"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "OperationalError" in debug.stderr
