"""`strataflow metrics list|query|catalog`: the metrics layer (strataflow.metrics) from the command line.

The semantic manifest comes from the dbt project's parse (re-parsed when the project changed); queries run
on the environment's warehouse: DuckDB or PostgreSQL (Snowflake: use `mf` with the snowflake target).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from strataflow.config import ConfigError, Project, load_project


def _project(configs: str | None, env: str | None) -> Project:
    try:
        return load_project(configs, env)
    except ConfigError as err:
        click.echo(f"Configuration error:\n{err}", err=True)
        sys.exit(1)


def target_dir(project: Project) -> Path:
    from strataflow.dbt_build import prepare_dbt_build

    return prepare_dbt_build(project).manifest.parent


@contextlib.contextmanager
def warehouse_connection(project: Project, *, read_only: bool = True) -> Iterator[tuple[Any, str]]:
    """A DB-API connection to the environment's warehouse and its engine name.

    DuckDB: read-only unless asked (queries only read the marts, and read-only opens can share the file),
    waiting up to warehouse.lock_timeout_s for a loader or dbt holding it instead of failing at once."""
    from strataflow.config.models import DuckDBWarehouseConfig, PostgresWarehouseConfig
    from strataflow.connections import resolve_path

    wh = project.environment.warehouse
    if isinstance(wh, DuckDBWarehouseConfig):
        from strataflow.warehouse.duckdb_loader import connect_waiting

        config = {"access_mode": "READ_ONLY"} if read_only else {}
        conn = connect_waiting(str(resolve_path(project, wh.path)), config, wh.lock_timeout_s)
        engine = "duckdb"
    elif isinstance(wh, PostgresWarehouseConfig):
        import psycopg

        conn, engine = psycopg.connect(wh.conninfo()), "postgres"
    else:
        raise click.ClickException(
            f"`strataflow metrics` answers on DuckDB and PostgreSQL; for {wh.kind} run `mf query` in dbt/ "
            "with the snowflake target (docs/analytics.md)"
        )
    try:
        yield conn, engine
    finally:
        conn.close()


_options = [
    click.option("--configs", "configs", type=click.Path(file_okay=False), help="configs/ folder"),
    click.option("--env", "env", help="environment name (default: STRATAFLOW_ENV or the file's default)"),
]


def _with_project_options(func: Any) -> Any:
    for option in reversed(_options):
        func = option(func)
    return func


@click.group("metrics")
def metrics() -> None:
    """The governed metrics layer (MetricFlow over the marts)."""


@metrics.command("list")
@_with_project_options
@click.option("--dimensions", is_flag=True, help="also list the dimensions each metric can be grouped by")
def list_metrics(configs: str | None, env: str | None, dimensions: bool) -> None:
    """Every metric with its type, certification, owner and description."""
    from strataflow.metrics import catalog, load_semantic_manifest

    project = _project(configs, env)
    manifest = load_semantic_manifest(target_dir(project))
    for entry in catalog(manifest):
        click.echo(f"{entry.name} ({entry.type}, {entry.certification}, owner {entry.owner}): {entry.description}")
    if dimensions:
        from strataflow.metrics import MetricsLayer

        with warehouse_connection(project) as (conn, engine):
            layer = MetricsLayer(manifest, conn, engine)
            names = [e.name for e in catalog(manifest)]
            click.echo("dimensions: " + ", ".join(layer.dimensions(names)))


@metrics.command("query")
@_with_project_options
@click.option("--metrics", "metric_names", required=True, help="comma-separated metric names")
@click.option("--group-by", "group_by", default="", help="comma-separated, e.g. metric_time__day,sale__category")
@click.option(
    "--where", "where", multiple=True, help="a MetricFlow filter, e.g. \"{{ Dimension('customer__region') }} = 'FR'\""
)
@click.option("--order-by", "order_by", default="", help="comma-separated; '-' in front for descending")
@click.option("--limit", type=int, default=None)
@click.option("--explain", is_flag=True, help="print the SQL instead of running it")
def query(
    configs: str | None,
    env: str | None,
    metric_names: str,
    group_by: str,
    where: tuple[str, ...],
    order_by: str,
    limit: int | None,
    explain: bool,
) -> None:
    """Query metrics grouped by dimensions and time grains (hour, day, week, month)."""
    from strataflow.metrics import open_layer

    split = lambda text: [p.strip() for p in text.split(",") if p.strip()]  # noqa: E731
    project = _project(configs, env)
    target = target_dir(project)
    with warehouse_connection(project) as (conn, engine):
        layer = open_layer(target, conn, engine)
        options = {"where": list(where) or None, "order_by": split(order_by) or None, "limit": limit}
        try:
            if explain:
                click.echo(layer.explain(split(metric_names), split(group_by), **options))
                return
            result = layer.query(split(metric_names), split(group_by), **options)
        except Exception as err:  # MetricFlow explains unknown names and join paths in its message
            raise click.ClickException(str(err)) from err
    click.echo("\t".join(result.columns))
    for row in result.rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))


@metrics.command("catalog")
@_with_project_options
@click.option("--markdown", type=click.Path(dir_okay=False), default="docs/metric_catalog.md", show_default=True)
@click.option("--no-table", is_flag=True, help="do not write audit.metric_catalog to the warehouse")
def catalog_command(configs: str | None, env: str | None, markdown: str, no_table: bool) -> None:
    """Write the metric catalog (Markdown and audit.metric_catalog); fail on missing governance."""
    from strataflow.metrics import (
        catalog,
        catalog_markdown,
        governance_problems,
        load_semantic_manifest,
        write_catalog_table,
    )

    project = _project(configs, env)
    manifest = load_semantic_manifest(target_dir(project))
    problems = governance_problems(manifest)
    if problems:
        raise click.ClickException("metric governance:\n" + "\n".join(problems))
    entries = catalog(manifest)
    Path(markdown).write_text(catalog_markdown(entries))
    click.echo(f"wrote {markdown} ({len(entries)} metrics)")
    if not no_table:
        with warehouse_connection(project, read_only=False) as (conn, engine):
            write_catalog_table(conn, entries, "?" if engine == "duckdb" else "%s")
        click.echo("wrote audit.metric_catalog")
