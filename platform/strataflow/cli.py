"""`strataflow` command line: validate configs, run the demo."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from strataflow.config import ConfigError, Project, load_project


@click.group()
def main() -> None:
    """strataflow: metadata-driven ELT on Dagster."""


def _load(configs: str | None, env: str | None) -> Project:
    try:
        return load_project(configs, env)
    except ConfigError as err:
        click.echo(f"Configuration error:\n{err}", err=True)
        sys.exit(1)


@main.command()
@click.option("--configs", "configs", type=click.Path(file_okay=False), help="configs/ folder (default: ./configs)")
@click.option("--env", "env", help="environment name (default: STRATAFLOW_ENV or the file's default)")
@click.option("--offline", is_flag=True, help="check the files only; do not connect to the sources")
def validate(configs: str | None, env: str | None, offline: bool) -> None:
    """Check every config file, and (unless --offline) every table against its live source."""
    from strataflow.validation import check_sources

    project = _load(configs, env)
    problems = [] if offline else check_sources(project)
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
@click.option("--days", default=3, show_default=True, help="days of history before the simulated changes")
@click.option("--change-days", default=2, show_default=True, help="days of simulated changes after the history")
def demo(home: str | None, scale: int, days: int, change_days: int) -> None:
    """Generate the shop source (SQLite), then materialize every partition of the main job."""
    from strataflow.demo_runner import run_demo

    run_demo(Path(home) if home else None, scale=scale, days=days, change_days=change_days, echo=click.echo)


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


from strataflow.metrics_commands import metrics  # noqa: E402

main.add_command(metrics)

if __name__ == "__main__":
    main()
