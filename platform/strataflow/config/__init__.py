"""Configuration: pydantic models of configs/, loading with ${ENV} substitution, clear errors."""

from strataflow.config.errors import ConfigError, ConfigProblem
from strataflow.config.identifiers import check_identifier, quote_identifier
from strataflow.config.loader import Project, TableRef, default_configs_dir, load_project
from strataflow.config.models import MERGE_LOAD_TYPES, TableConfig

__all__ = [
    "MERGE_LOAD_TYPES",
    "ConfigError",
    "ConfigProblem",
    "Project",
    "TableConfig",
    "TableRef",
    "check_identifier",
    "default_configs_dir",
    "load_project",
    "quote_identifier",
]
