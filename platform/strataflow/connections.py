"""Open the engine's parts (lake, source readers, warehouse) from a loaded Project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from strataflow.config import Project
from strataflow.config.models import (
    DuckDBWarehouseConfig,
    LocalLakeConfig,
    MySQLSourceConfig,
    PostgresWarehouseConfig,
    S3LakeConfig,
)
from strataflow.extract import MySQLReader, SourceReader, SQLiteReader
from strataflow.lake import LakeStorage
from strataflow.warehouse import DuckDBWarehouse, PostgresWarehouse, SnowflakeWarehouse, Warehouse

DEFAULT_HOME = ".strataflow"


def resolve_path(project: Project, path: str) -> Path:
    """Relative paths in configs are relative to the project root (the folder holding configs/)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (project.configs_dir.resolve().parent / p)


def project_home(project: Project) -> Path:
    """The project's working folder: $STRATAFLOW_HOME, else .strataflow next to configs/."""
    return resolve_path(project, os.environ.get("STRATAFLOW_HOME") or DEFAULT_HOME)


def spool_dir(project: Project) -> Path:
    """Local spool of partitions before upload: under the project's home, not /tmp (see lake/spool.py)."""
    if env := os.environ.get("STRATAFLOW_SPOOL_DIR"):
        return Path(env)
    return project_home(project) / "spool"


def open_storage(project: Project, *, s3_connection: dict[str, Any] | None = None) -> LakeStorage:
    """The lake, spooling under the project home. `s3_connection` (endpoint_url, region, access_key,
    secret_key; a Dagster S3 resource's) replaces the config's connection settings of an S3 lake."""
    storage = _open_storage(project, s3_connection)
    storage.spool_dir = spool_dir(project)
    return storage


def _open_storage(project: Project, s3_connection: dict[str, Any] | None) -> LakeStorage:
    lake = project.environment.lake
    if isinstance(lake, LocalLakeConfig):
        return LakeStorage.local(resolve_path(project, lake.path))
    assert isinstance(lake, S3LakeConfig)
    if s3_connection is not None:
        return LakeStorage.s3(lake.bucket, lake.prefix, **s3_connection)
    return LakeStorage.s3(
        lake.bucket,
        lake.prefix,
        endpoint_url=lake.endpoint_url,
        region=lake.region,
        access_key=lake.access_key_id.get_secret_value() if lake.access_key_id else None,
        secret_key=lake.secret_access_key.get_secret_value() if lake.secret_access_key else None,
    )


def open_reader(project: Project, source: str) -> SourceReader:
    conn = project.environment.sources[source]
    if isinstance(conn, MySQLSourceConfig):
        return MySQLReader(conn.url())
    return SQLiteReader(resolve_path(project, conn.path))


def source_timezone(project: Project, source: str) -> str:
    return project.environment.sources[source].timezone


def pii_salt(project: Project) -> str | None:
    salt = project.environment.pii_salt
    return salt.get_secret_value() if salt else None


def data_docs_dir(project: Project) -> Path:
    """Where Great Expectations' data docs are written (environments.<env>.quality.data_docs)."""
    return resolve_path(project, project.environment.quality.data_docs)


def snowflake_stage_dir(project: Project) -> Path:
    """Where Parquet files wait for their PUT to Snowflake: under the project home, like the spool."""
    return project_home(project) / "snowflake-stage"


def open_warehouse(project: Project, *, snowflake_kwargs: dict[str, Any] | None = None) -> Warehouse:
    """`snowflake_kwargs` (a Dagster Snowflake resource's) replace the config's connection of a Snowflake
    warehouse."""
    wh = project.environment.warehouse
    if isinstance(wh, DuckDBWarehouseConfig):
        path = resolve_path(project, wh.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return DuckDBWarehouse(str(path), lock_timeout_s=wh.lock_timeout_s)
    if isinstance(wh, PostgresWarehouseConfig):
        return PostgresWarehouse(wh.conninfo())
    kwargs = snowflake_kwargs if snowflake_kwargs is not None else wh.connect_kwargs()
    return SnowflakeWarehouse(kwargs, stage_dir=snowflake_stage_dir(project))
