"""The one resource the assets need: the loaded project and the parts it opens."""

from __future__ import annotations

from functools import cached_property

from dagster import ConfigurableResource

from strataflow import connections
from strataflow.config import Project, load_project
from strataflow.defs.connection_resources import s3_connection, snowflake_connect_kwargs
from strataflow.extract import SourceReader
from strataflow.lake import LakeStorage
from strataflow.warehouse import Warehouse


class StrataflowResource(ConfigurableResource):
    """configs_dir / env default to STRATAFLOW_CONFIGS / STRATAFLOW_ENV (see strataflow.config).

    `lake_s3` / `snowflake`: when the environment's lake is on S3 / its warehouse is Snowflake, the
    dagster-aws and dagster-snowflake resources (built from the same config) supply the connection.
    Both are typed by their base class: importing dagster-aws and dagster-snowflake costs ~1 s and ~3 s,
    paid only where the lake is on S3 or the warehouse is Snowflake (defs/connection_resources.py)."""

    configs_dir: str | None = None
    env: str | None = None
    lake_s3: ConfigurableResource | None = None
    snowflake: ConfigurableResource | None = None

    @cached_property
    def project(self) -> Project:
        return load_project(self.configs_dir, self.env)

    def storage(self) -> LakeStorage:
        """connections.open_storage owns the spool folder (the project home, never /tmp)."""
        s3 = s3_connection(self.lake_s3) if self.lake_s3 is not None else None
        return connections.open_storage(self.project, s3_connection=s3)

    def warehouse(self) -> Warehouse:
        """connections.open_warehouse owns the Snowflake staging folder (the project home)."""
        kwargs = snowflake_connect_kwargs(self.snowflake) if self.snowflake is not None else None
        return connections.open_warehouse(self.project, snowflake_kwargs=kwargs)

    def reader(self, source: str) -> SourceReader:
        return connections.open_reader(self.project, source)
