"""How strataflow runs its dbt project: which target, which env vars, and a fresh manifest."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from strataflow.config import Project
from strataflow.config.models import DuckDBWarehouseConfig, PostgresWarehouseConfig, SnowflakeWarehouseConfig
from strataflow.connections import resolve_path

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"


def dbt_dir() -> Path:
    return Path(os.environ.get("STRATAFLOW_DBT_DIR", DBT_DIR))


def dbt_executable() -> Path:
    """dbt from this interpreter's environment, whatever PATH says."""
    return Path(sys.executable).with_name("dbt")


def dbt_env(project: Project) -> dict[str, str]:
    """The env vars profiles.yml reads, derived from the environment's warehouse config."""
    wh = project.environment.warehouse
    # STRATAFLOW_SOURCES enables the demo models only when their source is configured (dbt_project.yml).
    env = {"STRATAFLOW_DBT_TARGET": wh.kind, "STRATAFLOW_SOURCES": ",".join(sorted(project.registries))}
    if isinstance(wh, DuckDBWarehouseConfig):
        env["STRATAFLOW_DUCKDB_PATH"] = str(resolve_path(project, wh.path))
    elif isinstance(wh, PostgresWarehouseConfig):
        env.update(
            STRATAFLOW_PG_HOST=wh.host,
            STRATAFLOW_PG_PORT=str(wh.port),
            STRATAFLOW_PG_USER=wh.user,
            STRATAFLOW_PG_PASSWORD=wh.password.get_secret_value(),
            STRATAFLOW_PG_DATABASE=wh.database,
        )
    elif isinstance(wh, SnowflakeWarehouseConfig):
        env.update(
            SNOWFLAKE_ACCOUNT=wh.account,
            SNOWFLAKE_USER=wh.user,
            SNOWFLAKE_PASSWORD=wh.password.get_secret_value(),
            SNOWFLAKE_DATABASE=wh.database,
            SNOWFLAKE_WAREHOUSE=wh.warehouse or "",
            SNOWFLAKE_ROLE=wh.role or "",
        )
    return env


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set env vars for the duration of the block and restore what was there (dbt reads os.environ)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def dbt_environment(project: Project, extra: dict[str, str] | None = None) -> AbstractContextManager[None]:
    """The profile's env vars (and `extra`) for the duration of a dbt call."""
    return patched_environ(dbt_env(project) | (extra or {}))


def prepare_dbt_project(project: Project, project_dir: Path | None = None) -> Path:
    """Mirror the dbt project into its build folder, regenerate the sources there and re-parse if any input
    changed; returns the build folder's manifest.json. The checkout is only read, never written."""
    from strataflow.dbt_build import prepare_dbt_build

    return prepare_dbt_build(project, project_dir).manifest
