"""Commands about sources: the generated dbt sources (and, below, discovery, profiling, scaffolding)."""

from __future__ import annotations

from pathlib import Path

import click

from strataflow.cli_options import load_or_exit, project_options


@click.command("dbt-sources")
@project_options
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="write <source>.yml here (e.g. dbt/models/sources to refresh the committed reference copy) "
    "instead of the dbt build folder",
)
def dbt_sources(configs: str | None, env: str | None, out: str | None) -> None:
    """Generate the dbt sources from the table registry (the code location does this on every load)."""
    project = load_or_exit(configs, env)
    if out:
        from strataflow.warehouse.dbt_sources import write_sources_to

        written = write_sources_to(project, Path(out))
        click.echo(f"{len(written)} file(s) written in {out}" + "".join(f"\n  {p}" for p in written))
        return
    from strataflow.dbt_build import prepare_dbt_build

    build = prepare_dbt_build(project)
    click.echo(f"dbt sources generated and parsed in the build folder {build.dir} (manifest {build.manifest})")


def _source_db(project, source: str, mysql_url: str | None, sqlite: str | None):
    from strataflow.discover.db import open_source

    if not (mysql_url or sqlite) and source not in project.environment.sources:
        raise click.UsageError(
            f"source {source!r} has no connection in environment {project.env_name!r}: add one to "
            f"{project.configs_dir / 'platform.yaml'}, or pass --mysql-url / --sqlite"
        )
    # A connection error propagates: the CLI's explain() gives it what/where/fix, and --debug its traceback.
    return open_source(project, source, mysql_url, sqlite)


source_option = click.option("--source", "source", required=True, help="source name (configs/sources/<name>.yaml)")
url_options = [
    click.option("--mysql-url", help="mysql://user:password@host:port/database of a source not configured yet"),
    click.option("--sqlite", "sqlite_path", type=click.Path(dir_okay=False), help="SQLite file of such a source"),
]


def _with(options):
    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func

    return apply


@click.command("discover")
@project_options
@source_option
@_with(url_options)
@click.option("--table", "tables", multiple=True, help="only these tables (repeatable)")
@click.option("--force", is_flag=True, help="overwrite an existing configs/sources/<source>.yaml")
@click.option("--diff", "show_diff", is_flag=True, help="only show what changed against the current registry")
def discover(
    configs: str | None,
    env: str | None,
    source: str,
    mysql_url: str | None,
    sqlite_path: str | None,
    tables: tuple[str, ...],
    force: bool,
    show_diff: bool,
) -> None:
    """Read a source's catalog and propose its table registry (every guess commented), or --diff it."""
    from strataflow.config.loader import _load_registry
    from strataflow.discover.discovery import discover as run_discovery
    from strataflow.discover.discovery import load_snapshot, save_snapshot, snapshot_path
    from strataflow.discover.registry_diff import diff_catalog

    project = load_or_exit(configs, env)
    target = project.configs_dir / "sources" / f"{source}.yaml"
    with _source_db(project, source, mysql_url, sqlite_path) as db:
        found = run_discovery(db, source, pii_enabled=project.environment.pii_salt is not None, tables=list(tables))
    if show_diff:
        registry = _load_registry(target) if target.exists() else None
        lines = diff_catalog(found.catalog, registry, load_snapshot(snapshot_path(project.configs_dir, source)))
        click.echo("\n".join(lines) if lines else f"no change in {source!r} against the registry and last discovery")
        return
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists: compare with --diff, or overwrite with --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(found.text)
    save_snapshot(found.catalog, snapshot_path(project.configs_dir, source))
    counts: dict[str, int] = {}
    for t in found.proposal.tables:
        key = "skipped" if t.skipped else t.load_type
        counts[key] = counts.get(key, 0) + 1
    click.echo(
        f"wrote {target}: {len(found.proposal.tables)} tables ("
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        + f"); catalog snapshot {snapshot_path(project.configs_dir, source)}"
    )
    if source not in project.environment.sources:
        click.echo(f"next: add a '{source}:' connection to environments.{project.env_name}.sources in platform.yaml")
    click.echo("next: review the comments, then `strataflow validate` and `strataflow run`")


@click.command("profile")
@project_options
@source_option
@_with(url_options)
@click.option("--table", "tables", multiple=True, help="only these tables (repeatable)")
@click.option("--full", is_flag=True, help="profile every row instead of a bounded sample")
@click.option("--sample-rows", default=50_000, show_default=True, help="rows sampled per table")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="where the dictionary goes (default: docs/sources next to the configs folder)",
)
def profile(
    configs: str | None,
    env: str | None,
    source: str,
    mysql_url: str | None,
    sqlite_path: str | None,
    tables: tuple[str, ...],
    full: bool,
    sample_rows: int,
    out: str | None,
) -> None:
    """Profile a source's tables in SQL and write its data dictionary (Markdown + Mermaid ER, HTML, JSON)."""
    from strataflow.config.loader import _load_registry
    from strataflow.discover.catalog import read_catalog
    from strataflow.discover.dictionary import Descriptions, write_dictionary
    from strataflow.discover.profile import profile_source
    from strataflow.discover.relationships import infer_foreign_keys

    project = load_or_exit(configs, env)
    registry_file = project.configs_dir / "sources" / f"{source}.yaml"
    registry = _load_registry(registry_file) if registry_file.exists() else None
    with _source_db(project, source, mysql_url, sqlite_path) as db:
        catalog = read_catalog(db, source)
        infer_foreign_keys(db, catalog)
        missing = sorted(set(tables) - {t.name for t in catalog.tables})
        if missing:
            raise click.UsageError(f"no table {', '.join(missing)} in source {source!r}")
        result = profile_source(db, catalog, tables=list(tables), sample_rows=None if full else sample_rows)
    folder = Path(out) if out else project.configs_dir.resolve().parent / "docs" / "sources"
    paths = write_dictionary(result, Descriptions.of(registry), folder)
    click.echo(f"profiled {len(result.tables)} table(s) of {source!r}: " + ", ".join(str(p) for p in paths))


@click.command("add-table")
@project_options
@click.option("--source", "source", required=True, help="a configured source")
@click.option("--table", "table", required=True, help="the source table to add")
@click.option("--vault", type=click.Choice(["hub", "link", "satellite"]), help="also scaffold this vault model")
@click.option("--dbt-dir", type=click.Path(file_okay=False), help="dbt project to scaffold into (default: dbt/)")
@click.option("--force", is_flag=True, help="overwrite an existing suite and dbt models")
def add_table(
    configs: str | None, env: str | None, source: str, table: str, vault: str | None, dbt_dir: str | None, force: bool
) -> None:
    """Fill in the blanks: registry entry, starting expectation suite and dbt models (VIN, optional vault)."""
    from strataflow.config import ConfigError, load_project
    from strataflow.config.loader import _load_registry
    from strataflow.dbt_runtime import dbt_dir as default_dbt_dir
    from strataflow.discover.catalog import read_catalog
    from strataflow.discover.discovery import discover as run_discovery
    from strataflow.discover.profile import profile_table
    from strataflow.discover.proposal import propose_table
    from strataflow.discover.relationships import infer_foreign_keys
    from strataflow.discover.scaffold import dbt_models, expectation_suite, registry_entry

    project = load_or_exit(configs, env)
    registry_file = project.configs_dir / "sources" / f"{source}.yaml"
    written: list[Path] = []
    with _source_db(project, source, None, None) as db:
        catalog = read_catalog(db, source)
        found = catalog.table(table)
        if found is None:
            raise click.UsageError(f"no table {table!r} in source {source!r}")
        infer_foreign_keys(db, catalog, only=table)
        pii_enabled = project.environment.pii_salt is not None
        if not registry_file.exists():
            registry_file.parent.mkdir(parents=True, exist_ok=True)
            registry_file.write_text(run_discovery(db, source, pii_enabled=pii_enabled, tables=[table]).text)
            written.append(registry_file)
        elif table not in {t.name for t in _load_registry(registry_file).tables}:
            registry = _load_registry(registry_file)
            partitioning = None
            if "partitioning" not in registry.defaults and registry.tables:
                first = registry.tables[0].partitioning
                partitioning = f'{{grain: {first.grain}, start: "{first.start.isoformat()}"}}'
            entry = registry_entry(propose_table(db, found), pii_enabled, partitioning)
            registry_file.write_text(registry_file.read_text().rstrip("\n") + "\n" + entry)
            written.append(registry_file)
        try:
            ref = load_project(project.configs_dir, project.env_name).table(source, table)
        except ConfigError as err:
            raise click.ClickException(f"the registry does not load after adding {table!r}:\n{err}") from None
        profile = profile_table(db, found)
    suite = project.configs_dir / "expectations" / source / f"{table}.yaml"
    files = {suite: expectation_suite(ref.config, found, profile)}
    try:
        files |= dbt_models(source, ref.config, found, vault, Path(dbt_dir) if dbt_dir else default_dbt_dir())
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    for path, text in files.items():
        if path.exists() and not force:
            click.echo(f"kept {path} (exists; --force overwrites)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    click.echo(f"add-table {source}.{table}: wrote " + "".join(f"\n  {p}" for p in written))
    click.echo("next: `strataflow run --source ... --partition ...` builds it (RAW, SRC, the dbt models and tests)")
