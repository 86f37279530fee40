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
