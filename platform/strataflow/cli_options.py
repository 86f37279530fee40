"""The options every `strataflow` command shares, so one convention finds the configs everywhere.

`--configs DIR` (or env STRATAFLOW_CONFIGS; else ./configs, else the checkout's configs/) and `--env NAME`
(or env STRATAFLOW_ENV; else the file's default_environment). The Dagster code location reads the same two
env vars (strataflow.config.default_configs_dir), and `run` exports what it was given, so the Dagster
runs and dbt calls they start see the same registry.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from strataflow.config import ConfigError, Project, load_project

configs_option = click.option(
    "--configs",
    "configs",
    type=click.Path(file_okay=False),
    envvar="STRATAFLOW_CONFIGS",
    help="configs folder (default: $STRATAFLOW_CONFIGS, else ./configs, else the checkout's configs/)",
)
env_option = click.option(
    "--env", "env", envvar="STRATAFLOW_ENV", help="environment name (default: $STRATAFLOW_ENV or the file's default)"
)


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--configs and --env, in this order."""
    return configs_option(env_option(func))


def load_or_exit(configs: str | None, env: str | None, *, export: bool = False) -> Project:
    """Load the project, or print the configuration problems and exit 1 (no traceback). `export`: set
    STRATAFLOW_CONFIGS/STRATAFLOW_ENV for what the command starts (runs, dbt)."""
    try:
        project = load_project(configs, env)
    except ConfigError as err:
        click.echo(f"Configuration error:\n{err}", err=True)
        sys.exit(1)
    if export:
        os.environ["STRATAFLOW_CONFIGS"] = str(project.configs_dir.resolve())
        os.environ["STRATAFLOW_ENV"] = project.env_name
    return project
