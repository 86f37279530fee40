"""The one resource the assets need: the loaded project and the parts it opens."""

from __future__ import annotations

from functools import cached_property

from dagster import ConfigurableResource

from strataflow import connections
from strataflow.config import Project, load_project
from strataflow.extract import SourceReader
from strataflow.lake import LakeStorage


class StrataflowResource(ConfigurableResource):
    """configs_dir / env default to STRATAFLOW_CONFIGS / STRATAFLOW_ENV (see strataflow.config)."""

    configs_dir: str | None = None
    env: str | None = None

    @cached_property
    def project(self) -> Project:
        return load_project(self.configs_dir, self.env)

    def storage(self) -> LakeStorage:
        return connections.open_storage(self.project)

    def reader(self, source: str) -> SourceReader:
        return connections.open_reader(self.project, source)
