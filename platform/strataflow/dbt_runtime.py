"""How strataflow runs its dbt project: which target, which env vars, and a fresh manifest."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from strataflow.config import Project
from strataflow.config.models import DuckDBWarehouseConfig, PostgresWarehouseConfig, SnowflakeWarehouseConfig
from strataflow.connections import resolve_path
from strataflow.warehouse.dbt_sources import write_sources

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"


def dbt_dir() -> Path:
    return Path(os.environ.get("STRATAFLOW_DBT_DIR", DBT_DIR))


def dbt_executable() -> Path:
    """dbt from this interpreter's environment, whatever PATH says."""
    return Path(sys.executable).with_name("dbt")


def dbt_env(project: Project) -> dict[str, str]:
    """The env vars profiles.yml reads, derived from the environment's warehouse config."""
    wh = project.environment.warehouse
    env = {"STRATAFLOW_DBT_TARGET": wh.kind}
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


def _newest_input(project_dir: Path) -> float:
    inputs = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        inputs += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in inputs if p.exists())


def prepare_dbt_project(project: Project, project_dir: Path | None = None) -> Path:
    """Regenerate the sources from the registry and re-parse if anything changed; returns manifest.json."""
    project_dir = project_dir or dbt_dir()
    write_sources(project, project_dir)
    manifest = project_dir / "target" / "manifest.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_input(project_dir):
        return manifest
    dbt = dbt_executable()
    env = {**os.environ, **dbt_env(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{result.stdout}\n{result.stderr}")
    return manifest
