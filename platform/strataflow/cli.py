"""`strataflow` command line: validate configs, run the demo."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from strataflow.cli_errors import FriendlyErrorGroup
from strataflow.cli_options import project_options
from strataflow.config import Project, load_project
from strataflow.run_commands import run
from strataflow.source_commands import add_table, dbt_sources, discover, profile


@click.group(cls=FriendlyErrorGroup)
@click.option("--debug", is_flag=True, envvar="STRATAFLOW_DEBUG", help="show the traceback of an error")
def main(debug: bool) -> None:
    """strataflow: metadata-driven ELT on Dagster."""


def _load(configs: str | None, env: str | None) -> Project:
    """A ConfigError propagates: the group reports it as one message naming file, key and fix."""
    return load_project(configs, env)


@main.command()
@project_options
@click.option("--offline", is_flag=True, help="check the files only; do not connect to the sources")
def validate(configs: str | None, env: str | None, offline: bool) -> None:
    """Check every config file, and (unless --offline) every table against its live source."""
    from strataflow.validation import check_sources

    project = _load(configs, env)
    debug = bool(click.get_current_context().find_root().params.get("debug"))
    problems = [] if offline else check_sources(project, raise_errors=debug)
    if problems:
        click.echo("Configuration error:\n" + "\n".join(str(p) for p in problems), err=True)
        sys.exit(1)
    tables = project.tables()
    click.echo(
        f"OK: environment {project.env_name!r}, {len(tables)} tables in {len(project.registries)} sources"
        + (" (offline: sources not checked)" if offline else "")
    )


@main.command()
@click.option("--home", type=click.Path(file_okay=False), help="where the demo keeps its files (STRATAFLOW_HOME)")
@click.option("--scale", default=2_000, show_default=True, help="number of orders to generate")
@click.option("--days", default=1, show_default=True, help="days of history (the initial load) before the changes")
@click.option("--change-days", default=5, show_default=True, help="days of simulated changes after the history")
@click.option("--start", default="2025-01-30", show_default=True, help="first day of the history (YYYY-MM-DD)")
@click.option("--quiet", is_flag=True, help="no progress, only the summary")
def demo(home: str | None, scale: int, days: int, change_days: int, start: str, quiet: bool) -> None:
    """Build the shop source (SQLite) day by day, load every layer, and say where to look."""
    import os

    from strataflow.demo_display import Display, render_summary
    from strataflow.demo_runner import DEFAULT_HOME, DemoFailed, DemoSettings, run_demo

    settings = DemoSettings(
        home=Path(home or os.environ.get("STRATAFLOW_HOME", DEFAULT_HOME)),
        scale=scale,
        days=days,
        change_days=change_days,
        start=date.fromisoformat(start),
        quiet=quiet,
    )
    display = Display(quiet=quiet)
    try:
        outcome = run_demo(settings, display)
    except DemoFailed as err:
        click.echo(f"demo failed: {err}", err=True)
        sys.exit(1)
    render_summary(display.console, outcome)


@main.command("demo-source")
@click.option("--mysql-url", envvar="STRATAFLOW_DEMO_MYSQL_URL", help="mysql://user:password@host:port/database")
@click.option("--sqlite", "sqlite_path", type=click.Path(dir_okay=False), help="SQLite file to create instead")
@click.option("--scale", default=2_000, show_default=True, help="number of orders to generate")
@click.option("--start", default="2025-01-01", show_default=True, help="first day of the history (YYYY-MM-DD)")
@click.option("--days", default=5, show_default=True, help="days of history")
@click.option("--change-days", default=0, show_default=True, help="days of simulated changes after the history")
def demo_source(
    mysql_url: str | None, sqlite_path: str | None, scale: int, start: str, days: int, change_days: int
) -> None:
    """(Re)create the demo shop source in MySQL/MariaDB or SQLite, with optional simulated change days."""
    from strataflow.demo.seeding import seed_source

    if bool(mysql_url) == bool(sqlite_path):
        raise click.UsageError("give exactly one of --mysql-url or --sqlite")
    seed_source(
        mysql_url=mysql_url,
        sqlite_path=sqlite_path,
        scale=scale,
        start=date.fromisoformat(start),
        days=days,
        change_days=change_days,
        echo=click.echo,
    )


main.add_command(run)
main.add_command(dbt_sources)
main.add_command(discover)
main.add_command(profile)
main.add_command(add_table)
from strataflow.backfill_commands import backfill  # noqa: E402

main.add_command(backfill)

from strataflow.metrics_commands import metrics  # noqa: E402

main.add_command(metrics)

if __name__ == "__main__":
    main()
