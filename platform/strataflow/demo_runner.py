"""`strataflow demo`: build the shop source in SQLite, then run the main job partition by partition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from strataflow.config import load_project
from strataflow.connections import resolve_path
from strataflow.defs.jobs import MAIN_JOB
from strataflow.demo.seeding import seed_source

DEFAULT_HOME = ".strataflow"


def run_demo(
    home: Path | None,
    *,
    scale: int,
    days: int,
    change_days: int,
    echo: Callable[[str], None] = print,
) -> None:
    home = (home or Path(os.environ.get("STRATAFLOW_HOME", DEFAULT_HOME))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["STRATAFLOW_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_HOME", str(home / "dagster"))
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").touch()  # the defaults: SQLite storage in DAGSTER_HOME
    os.environ.setdefault("STRATAFLOW_ENV", "local")

    project = load_project()
    source_cfg = project.environment.sources["shop"]
    if source_cfg.kind != "sqlite":
        raise SystemExit("the demo builds its own SQLite source: run it with STRATAFLOW_ENV=local")
    start = project.tables()[0].config.partitioning.start
    seed_source(
        sqlite_path=resolve_path(project, source_cfg.path),
        scale=scale,
        start=start,
        days=days,
        change_days=change_days,
        echo=echo,
    )

    from strataflow.definitions import build_definitions

    defs = build_definitions(project)
    job = defs.resolve_job_def(MAIN_JOB)
    instance = DagsterInstance.get()
    log_path = home / "demo.log"
    echo(f"running {MAIN_JOB} per partition (Dagster and dbt logs: {log_path})")
    for offset in range(days + change_days):
        key = (start + timedelta(days=offset)).isoformat()
        started = time.monotonic()
        with open(log_path, "a") as log, redirect_stdout(log), redirect_stderr(log):
            result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False)
        materialized = len(result.get_asset_materialization_events())
        checks = [
            e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        passed = sum(c.passed for c in checks)
        echo(
            f"partition {key}: {'ok' if result.success else 'FAILED'} in {time.monotonic() - started:.0f}s: "
            f"{materialized} assets materialized, {passed}/{len(checks)} checks passed"
        )
        if not result.success:
            raise SystemExit(f"partition {key} failed: see {log_path} or the run in the Dagster UI (dagster dev)")
    echo(f"lake: {resolve_path(project, project.environment.lake.path)}")  # type: ignore[union-attr]
    echo(f"Browse the assets and runs: DAGSTER_HOME={os.environ['DAGSTER_HOME']} uv run dagster dev")
