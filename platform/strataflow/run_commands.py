"""`strataflow run`: materialize the pipeline from the command line (same jobs as the Dagster UI)."""

from __future__ import annotations

import sys
from datetime import date

import click

from strataflow.cli_options import load_or_exit, project_options


def _day(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=flag) from None


@click.command("run")
@project_options
@click.option("--source", help="only this source's tables (and the dbt models downstream of them)")
@click.option("--table", help="only this table (with --source when names repeat across sources)")
@click.option("--partition", help="one partition key, e.g. 2025-01-03 (hourly: 2025-01-03-05:00)")
@click.option("--from", "first", help="first day of a range of partitions (YYYY-MM-DD)")
@click.option("--to", "last", help="last day of the range, inclusive (YYYY-MM-DD)")
def run(
    configs: str | None,
    env: str | None,
    source: str | None,
    table: str | None,
    partition: str | None,
    first: str | None,
    last: str | None,
) -> None:
    """Materialize partitions: RAW -> SRC -> dbt, one Dagster run per partition, in this process.

    Without --partition/--from/--to: the latest partition. The runs are recorded in the Dagster instance
    (DAGSTER_HOME, else $STRATAFLOW_HOME/dagster), so `dagster dev` shows them afterwards."""
    from strataflow.runner import RunSelectionError, run_pipeline

    if partition and (first or last):
        raise click.UsageError("give either --partition or --from/--to, not both")
    project = load_or_exit(configs, env, export=True)
    try:
        outcomes = run_pipeline(
            project,
            source=source,
            table=table,
            partition=partition,
            first=_day(first, "--from"),
            last=_day(last, "--to"),
            echo=click.echo,
        )
    except RunSelectionError as err:
        raise click.UsageError(str(err)) from None
    failed = [o for o in outcomes if not o.success]
    click.echo(f"{len(outcomes) - len(failed)}/{len(outcomes)} partition run(s) succeeded")
    if failed and failed[-1].failure is not None:
        raise failed[-1].failure  # the step's own error, through the CLI's one-message path
    sys.exit(1 if failed else 0)
