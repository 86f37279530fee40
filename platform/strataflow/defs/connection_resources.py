"""The Dagster resources of the design card, built from the environment in configs/platform.yaml:

- `lake_s3` (dagster-aws S3Resource): the S3/MinIO lake's endpoint, region and credentials;
- `snowflake` (dagster-snowflake SnowflakeResource): the Snowflake warehouse the SRC loader writes to.

Only the chosen environment's values are used, so there is no second copy of the settings. Secrets are
passed as EnvVar references (the variable the config names), so the UI shows the variable, never its value.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import yaml
from dagster import EnvVar

from strataflow.config import Project
from strataflow.config.models import S3LakeConfig, SnowflakeWarehouseConfig

if TYPE_CHECKING:
    from dagster_aws.s3 import S3Resource
    from dagster_snowflake import SnowflakeResource

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$")


def _raw_environment(project: Project) -> dict[str, Any]:
    raw = yaml.safe_load((project.configs_dir / "platform.yaml").read_text(encoding="utf-8")) or {}
    return (raw.get("environments") or {}).get(project.env_name) or {}


def secret_env(project: Project, section: str, key: str, fallback: str | None = None) -> Any:
    """EnvVar(<the variable `environments.<env>.<section>.<key>` names>), else EnvVar(fallback) when that
    variable is set, else None (the library's default chain)."""
    raw = (_raw_environment(project).get(section) or {}).get(key)
    if isinstance(raw, str) and (match := _ENV_REF.match(raw.strip())):
        return EnvVar(match.group(1))
    if fallback and os.environ.get(fallback):
        return EnvVar(fallback)
    return None


def lake_s3_resource(project: Project) -> S3Resource | None:
    lake = project.environment.lake
    if not isinstance(lake, S3LakeConfig):
        return None
    from dagster_aws.s3 import S3Resource  # ~1 s of imports (boto3): only for an S3 lake

    return S3Resource(
        endpoint_url=lake.endpoint_url,
        region_name=lake.region,
        aws_access_key_id=secret_env(project, "lake", "access_key_id", "AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=secret_env(project, "lake", "secret_access_key", "AWS_SECRET_ACCESS_KEY"),
    )


def snowflake_resource(project: Project) -> SnowflakeResource | None:
    wh = project.environment.warehouse
    if not isinstance(wh, SnowflakeWarehouseConfig):
        return None
    from dagster_snowflake import SnowflakeResource  # ~3 s of imports (Snowpark): only for Snowflake

    return SnowflakeResource(
        account=wh.account,
        user=wh.user,
        password=secret_env(project, "warehouse", "password"),
        database=wh.database,
        warehouse=wh.warehouse,
        role=wh.role,
    )


def s3_connection(resource: S3Resource) -> dict[str, Any]:
    """What LakeStorage.s3 needs from the resource (EnvVars resolved at run time)."""
    return {
        "endpoint_url": resource.endpoint_url,
        "region": resource.region_name or "us-east-1",
        "access_key": resource.aws_access_key_id,
        "secret_key": resource.aws_secret_access_key,
    }


def snowflake_connect_kwargs(resource: SnowflakeResource) -> dict[str, Any]:
    """What the Snowflake loader passes to snowflake.connector.connect, from the resource."""
    kwargs = {
        "account": resource.account,
        "user": resource.user,
        "password": resource.password,
        "database": resource.database,
        "warehouse": resource.warehouse,
        "role": resource.role,
    }
    return {k: v for k, v in kwargs.items() if v}
