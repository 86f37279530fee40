"""`strataflow demo`: build the shop source in SQLite, then run the main job partition by partition."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from dagster import DagsterInstance

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
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
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
    for offset in range(days + change_days):
        key = (start + timedelta(days=offset)).isoformat()
        result = job.execute_in_process(partition_key=key, instance=instance)
        materialized = len(result.get_asset_materialization_events())
        echo(f"partition {key}: {'ok' if result.success else 'FAILED'} ({materialized} assets)")
        if not result.success:
            raise SystemExit(f"partition {key} failed; see the run in the Dagster UI (dagster dev)")
    echo(f"lake: {resolve_path(project, project.environment.lake.path)}")  # type: ignore[union-attr]
    echo(f"Browse the assets and runs: DAGSTER_HOME={os.environ['DAGSTER_HOME']} uv run dagster dev")
