"""`strataflow demo`: the shop source day by day, RAW/SRC per partition, dbt once, then a summary.

Each simulated day's changes are made before that day is extracted, as production would see them, so the
SCD2 satellites hold several versions, deletes show up as deletes and back-dated (late) rows land in days
already extracted. The fixed costs are paid once: definitions are built once, every run executes in this
process (recorded against the code location, so the UI's run history knows them), and dbt runs once over
the whole partition range (the partitioned models, then the marts rebuilt in full)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dagster import AssetKey, DagsterEventType, DagsterInstance, Definitions

from strataflow import local_runs
from strataflow.config import Project, load_project
from strataflow.connections import resolve_path
from strataflow.dbt_build import prepare_dbt_build
from strataflow.defs.jobs import MAIN_JOB
from strataflow.defs.partitions import RANGE_ENV
from strataflow.demo.connect import connect_sqlite
from strataflow.demo.generator import generate
from strataflow.demo.schema import create_schema
from strataflow.demo.simulator import simulate_day
from strataflow.demo_display import Display
from strataflow.demo_report import DemoReport, read_warehouse
from strataflow.quality.runner import preload_great_expectations

DEFAULT_HOME = ".strataflow"
DEFAULT_START = date(2025, 1, 30)  # the change days cross a month end, so the cohort mart has several cohorts


class DemoFailed(RuntimeError):
    pass


@dataclass
class DemoSettings:
    home: Path
    scale: int
    days: int
    change_days: int
    start: date = DEFAULT_START
    quiet: bool = False

    @property
    def last(self) -> date:
        return self.start + timedelta(days=self.days + self.change_days - 1)

    def partition_keys(self) -> list[str]:
        return [(self.start + timedelta(days=d)).isoformat() for d in range(self.days + self.change_days)]


@dataclass
class DemoOutcome:
    settings: DemoSettings
    report: DemoReport
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    warehouse: Path | None = None
    lake: Path | None = None
    dagster_home: Path | None = None
    alert_file: Path | None = None
    partition_env: str = ""


def prepare_home(settings: DemoSettings) -> Path:
    """STRATAFLOW_HOME, DAGSTER_HOME (an instance with its dagster.yaml) and the partition range."""
    home = settings.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["STRATAFLOW_HOME"] = str(home)
    os.environ.setdefault("STRATAFLOW_ENV", "local")
    os.environ[RANGE_ENV] = f"{settings.start.isoformat()}..{settings.last.isoformat()}"
    os.environ.setdefault("DAGSTER_HOME", str(home / "dagster"))
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    try:
        from strataflow.instance import ensure_instance_config  # type: ignore[import-not-found]
    except ImportError:
        (dagster_home / "dagster.yaml").touch()  # the defaults: SQLite storage in DAGSTER_HOME
    else:
        ensure_instance_config(dagster_home)
    return dagster_home


def run_demo(settings: DemoSettings, display: Display | None = None) -> DemoOutcome:
    started = time.monotonic()
    display = display or Display(quiet=settings.quiet)
    dagster_home = prepare_home(settings)
    project = load_project()
    source_cfg = project.environment.sources["shop"]
    if source_cfg.kind != "sqlite":
        raise DemoFailed("the demo builds its own SQLite source: run it with STRATAFLOW_ENV=local")
    home = Path(os.environ["STRATAFLOW_HOME"])
    settings.home = home
    outcome = DemoOutcome(settings, DemoReport(), dagster_home=dagster_home)
    log_path = home / "demo.log"
    log_path.write_text("")
    keys = settings.partition_keys()

    with display:
        # 1. dbt parses the project in the background (a subprocess, on the other core) while this process
        # builds the source's history and imports Dagster; the definitions then find the manifest ready.
        parse = _parse_in_background(project)
        phase = time.monotonic()
        sqlite_path = resolve_path(project, source_cfg.path)
        conn = _fresh_sqlite(sqlite_path)
        display.start_phase("source", f"shop source: {settings.days} days of history", settings.change_days + 1)
        try:
            create_schema(conn, "sqlite")
            counts = generate(conn, "sqlite", scale=settings.scale, start=settings.start, days=settings.days)
            conn.commit()
            display.advance("source", f"generated {sum(counts.values())} rows")
            outcome.timings["source"] = time.monotonic() - phase

            phase = time.monotonic()
            with open(log_path, "a") as log, redirect_stdout(log), redirect_stderr(log):
                preload_great_expectations()  # ~3 s, needed by the first SRC step; dbt parses meanwhile
                defs = _definitions(project)
                parse.join()
            job = defs.resolve_job_def(MAIN_JOB)
            graph = defs.resolve_asset_graph()
            all_keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]  # no source tables
            lake_keys = sorted((k for k in all_keys if k.path[0] in ("raw", "src")), key=AssetKey.to_user_string)
            dbt_keys = sorted((k for k in all_keys if k.path[0] not in ("raw", "src")), key=AssetKey.to_user_string)
            dbt_checks = [c for c in graph.asset_check_keys if c.asset_key in set(dbt_keys)]
            outcome.timings["definitions"] = time.monotonic() - phase

            # 2. RAW/SRC per partition; each change day is simulated just before it is extracted
            display.start_phase("lake", "RAW/SRC", len(keys) * len(lake_keys))
            for n, key in enumerate(keys):
                if n >= settings.days:
                    phase = time.monotonic()
                    day = date.fromisoformat(key)
                    summary = simulate_day(conn, "sqlite", day, seed=n)
                    conn.commit()
                    outcome.report.late_rows += sum(len(t.back_dated) for t in summary.tables.values())
                    display.advance("source", f"simulated {key}: {summary.total} changes")
                    outcome.timings["source"] += time.monotonic() - phase
                phase = time.monotonic()
                _run(outcome, display, instance_for(dagster_home), job, lake_keys, key, key, "lake", log_path)
                display.partition_done(key, len(lake_keys))
                outcome.timings["raw_src"] = outcome.timings.get("raw_src", 0.0) + time.monotonic() - phase
        finally:
            conn.close()

        # 3. dbt once over the whole range: the partitioned models, then the full-rebuild ones
        phase = time.monotonic()
        display.start_phase("dbt", f"dbt {keys[0]}..{keys[-1]}", len(dbt_keys) + len(dbt_checks))
        _run(outcome, display, instance_for(dagster_home), job, dbt_keys, keys[0], keys[-1], "dbt", log_path)
        outcome.timings["dbt"] = time.monotonic() - phase
        display.line(f"dbt: {len(dbt_keys)} models built, {outcome.checks_passed} checks passed so far")

    outcome.warehouse = resolve_path(project, project.environment.warehouse.path)  # type: ignore[union-attr]
    outcome.lake = resolve_path(project, project.environment.lake.path)  # type: ignore[union-attr]
    outcome.alert_file = _alert_file(project)
    read_warehouse(outcome.warehouse, outcome.report)
    outcome.partition_env = f"{RANGE_ENV}={os.environ[RANGE_ENV]}"
    outcome.timings["total"] = time.monotonic() - started
    return outcome


def _parse_in_background(project: Project) -> threading.Thread:
    """Start `dbt parse` (a subprocess, when the project changed) from a thread, so it runs on the other core
    while this process builds the source and imports Dagster and Great Expectations (imports stay in the
    main thread: two threads importing at once can deadlock on module locks). A parse failure is left to
    the definitions, which prepare the same build folder (under its lock) and report the parse error."""

    def parse() -> None:
        with suppress(Exception):
            prepare_dbt_build(project)

    thread = threading.Thread(target=parse, name="dbt-parse", daemon=True)
    thread.start()
    return thread


def _definitions(project: Project) -> Definitions:
    """This environment's definitions. Importing strataflow.definitions builds them (its module-level `defs`,
    what the webserver loads, from the environment prepare_home set); build again only when this process
    imported it before, possibly for another home."""
    fresh = "strataflow.definitions" not in sys.modules
    import strataflow.definitions as module

    return module.defs if fresh else module.build_definitions(project)


def _alert_file(project: Project) -> Path | None:
    """The JSON-lines alert sink's file (the strataflow_alerts sensor writes it while the daemon runs)."""
    alerts = getattr(project.environment, "alerts", None)
    for sink in getattr(alerts, "sinks", []):
        if sink.kind == "jsonl":
            return resolve_path(project, sink.path)
    return None


_INSTANCE: dict[Path, DagsterInstance] = {}


def instance_for(dagster_home: Path) -> DagsterInstance:
    """One instance per DAGSTER_HOME for the whole demo (opening it costs a storage migration check)."""
    if dagster_home not in _INSTANCE:
        local_runs.fast_sqlite_commits(dagster_home)
        _INSTANCE[dagster_home] = DagsterInstance.from_config(str(dagster_home))
    return _INSTANCE[dagster_home]


def _fresh_sqlite(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):  # a stale WAL would be replayed into the new file
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return connect_sqlite(path)


def _run(
    outcome: DemoOutcome,
    display: Display,
    instance: DagsterInstance,
    job,
    keys: Sequence[AssetKey],
    first: str,
    last: str,
    phase: str,
    log_path: Path,
) -> None:
    tags = {**local_runs.partition_tags(first, last), "strataflow/demo": "true"}
    with open(log_path, "a") as log, redirect_stdout(log), redirect_stderr(log):
        run = local_runs.create_run(instance, job, asset_selection=keys, tags=tags)
        run_id = run.run_id
        for event in local_runs.execute(instance, job, run):
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.step_materialization_data.materialization
                if mat.asset_key.path[0] == "raw":
                    rows = mat.metadata.get("rows_out")
                    outcome.report.raw_rows += int(rows.value) if rows is not None else 0
                display.advance(phase, f"{mat.asset_key.to_user_string()} {mat.partition or ''}".strip())
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                if evaluation.passed:
                    outcome.checks_passed += 1
                else:
                    outcome.checks_failed.append(
                        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                        + (f" ({evaluation.partition})" if getattr(evaluation, "partition", None) else "")
                    )
                display.advance(phase, f"check {evaluation.check_name}")
    outcome.run_ids.append(run_id)
    if not local_runs.run_succeeded(instance, run_id):
        raise DemoFailed(f"run {run_id} ({phase} {first}..{last}) failed: see {log_path} or the run in the Dagster UI")
