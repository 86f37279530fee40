"""`strataflow backfill`: a partition range of some or all tables, through the daemon or in this process."""

from __future__ import annotations

import os
import sys
import time
from datetime import date

import click


@click.command()
@click.option("--source", help="only the tables of this source")
@click.option("--table", help="only this table (with --source when names repeat)")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="first day (YYYY-MM-DD)")
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="last day, inclusive")
@click.option("--in-process", is_flag=True, help="run it here, showing each partition, instead of the daemon")
@click.option("--configs", type=click.Path(file_okay=False), help="configs/ folder (default: ./configs)")
@click.option("--env", help="environment name (default: STRATAFLOW_ENV or the file's default)")
def backfill(
    source: str | None,
    table: str | None,
    first: date,
    last: date,
    in_process: bool,
    configs: str | None,
    env: str | None,
) -> None:
    """Re-materialize the days FROM..TO: RAW and SRC per partition, then dbt once over the whole range.

    Without --in-process the backfill is submitted to the Dagster instance in DAGSTER_HOME: it appears
    on the UI's backfills page and the daemon (`dagster dev` or `dagster-daemon run`) runs it."""
    from dagster import DagsterInstance

    from strataflow.backfill import BackfillError, choose_tables, plan_backfill, run_backfill, submit_backfill
    from strataflow.config import load_project
    from strataflow.definitions import build_definitions
    from strataflow.runner import ensure_dagster_home, strataflow_home
    from strataflow.step_failures import RunFailedError

    if not os.environ.get("DAGSTER_HOME"):
        raise click.UsageError("DAGSTER_HOME is not set. Fix: export DAGSTER_HOME=<the instance folder of dagster dev>")
    project = load_project(configs, env)
    # The daemon (and dagster dev) of this DAGSTER_HOME run the backfill: they need strataflow's run
    # queue, DuckDB pool and run monitoring, also on an instance `strataflow run` never set up.
    ensure_dagster_home(project)
    try:
        refs = choose_tables(project, source, table)
        defs = build_definitions(project)
        plan = plan_backfill(defs, refs, first.date(), last.date())
    except BackfillError as err:
        raise click.UsageError(str(err)) from err
    instance = DagsterInstance.get()
    span = f"{plan.partitions[0]}..{plan.partitions[-1]}"
    what = f"{len(refs)} tables" if len(refs) > 1 else f"{refs[0].source}.{refs[0].name}"
    if not in_process:
        backfill_id = submit_backfill(instance, defs, plan, title=f"{what} {span}")
        click.echo(
            f"backfill {backfill_id} submitted: {what}, {len(plan.partitions)} partitions {span}, "
            f"{len(plan.dbt_keys)} dbt models. The daemon runs it; follow it on the UI's backfills page "
            f"(/overview/backfills/{backfill_id})."
        )
        return
    started = time.monotonic()

    def progress(phase: str, item: str, done: int, total: int) -> None:
        click.echo(f"[{done}/{total}] {phase} {item} ({time.monotonic() - started:.0f}s)")

    log_path = strataflow_home(project) / "backfill.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"Dagster and dbt logs: {log_path}")
    tags = {"strataflow/backfill": f"{what} {span}"}
    result = run_backfill(instance, defs, plan, progress=progress, tags=tags, log_path=log_path)
    if not result.success:
        click.echo(f"backfill failed at {', '.join(result.failed)}: see the runs in the UI", err=True)
        if result.failures:
            raise RunFailedError(result.failures, log_path)  # the step's own error, through the CLI's one-message path
        sys.exit(1)
    click.echo(f"backfill done: {len(plan.partitions)} partitions in {time.monotonic() - started:.0f}s")
