"""Load configs/ into a Project: platform environment + table registries, every problem reported clearly."""

from __future__ import annotations

import difflib
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from strataflow.config.envsubst import is_single_env_reference, substitute
from strataflow.config.errors import ConfigError, ConfigProblem, format_key_path
from strataflow.config.expectations import Suite, default_suite, load_suite, type_problems
from strataflow.config.models import (
    EnvironmentConfig,
    PlatformConfig,
    SourceRegistry,
    TableConfig,
)

M = TypeVar("M", bound=BaseModel)
SECRET_KEYS = frozenset(
    {"password", "secret_access_key", "access_key_id", "pii_salt", "url", "token", "api_key", "private_key"}
)
_PACKAGE_CONFIGS = Path(__file__).resolve().parents[3] / "configs"


@dataclass(frozen=True)
class TableRef:
    """One configured table of one source."""

    source: str
    config: TableConfig
    file: Path
    index: int

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def warehouse_table(self) -> str:
        return f"{self.source}__{self.config.name}"

    def key_path(self, sub: str = "") -> str:
        return f"tables[{self.index}]" + (f".{sub}" if sub else "")


@dataclass(frozen=True)
class Project:
    configs_dir: Path
    env_name: str
    environment: EnvironmentConfig
    registries: dict[str, SourceRegistry]
    registry_files: dict[str, Path]
    suites: dict[tuple[str, str], Suite] = field(default_factory=dict)  # (source, table) -> suite file

    def suite(self, ref: TableRef) -> Suite:
        """The table's suite file, else the default suite derived from the registry."""
        found = self.suites.get((ref.source, ref.name))
        return found or default_suite(ref.config.src_primary_key)

    def tables(self) -> list[TableRef]:
        return [
            TableRef(source, table, self.registry_files[source], i)
            for source, registry in sorted(self.registries.items())
            for i, table in enumerate(registry.tables)
        ]

    def table(self, source: str, name: str) -> TableRef:
        for ref in self.tables():
            if ref.source == source and ref.name == name:
                return ref
        raise KeyError(f"no table {source}.{name} in {self.configs_dir}/sources")


def default_configs_dir() -> Path:
    """STRATAFLOW_CONFIGS, else ./configs, else the configs/ folder of this checkout."""
    if env := os.environ.get("STRATAFLOW_CONFIGS"):
        return Path(env)
    cwd = Path.cwd() / "configs"
    return cwd if (cwd / "platform.yaml").exists() else _PACKAGE_CONFIGS


def load_project(configs_dir: Path | str | None = None, env_name: str | None = None) -> Project:
    configs = Path(configs_dir) if configs_dir else default_configs_dir()
    platform_file = configs / "platform.yaml"
    platform = _validate(PlatformConfig, _read_yaml(platform_file), platform_file)
    env_name = env_name or os.environ.get("STRATAFLOW_ENV") or platform.default_environment
    if env_name not in platform.environments:
        raise ConfigError.single(
            platform_file,
            "environments",
            f"environment {env_name!r} is not defined",
            f"set STRATAFLOW_ENV to one of {sorted(platform.environments)} or add it to the file",
        )
    raw_env = platform.environments[env_name]
    env_path: tuple[str | int, ...] = ("environments", env_name)
    _reject_literal_secrets(raw_env, platform_file, env_path)
    environment = _validate(EnvironmentConfig, substitute(raw_env, platform_file, env_path), platform_file, env_path)

    registries: dict[str, SourceRegistry] = {}
    files: dict[str, Path] = {}
    problems: list[ConfigProblem] = []
    for file in sorted((configs / "sources").glob("*.y*ml")):
        source = file.stem
        try:
            registries[source] = _load_registry(file)
            files[source] = file
        except ConfigError as err:
            problems.extend(err.problems)
            continue
        if source not in environment.sources:
            problems.append(
                ConfigProblem(
                    file,
                    "",
                    f"source {source!r} has no connection in environments.{env_name}.sources of {platform_file}",
                    f"add a '{source}:' connection there, or rename the file to one of {sorted(environment.sources)}",
                )
            )
    if problems:
        raise ConfigError(problems)
    if any(t.pii for r in registries.values() for t in r.tables) and environment.pii_salt is None:
        raise ConfigError.single(
            platform_file,
            format_key_path([*env_path, "pii_salt"]),
            "tables declare pii columns but no salt is configured for masking",
            "add pii_salt: ${STRATAFLOW_PII_SALT} and export STRATAFLOW_PII_SALT",
        )
    return Project(configs, env_name, environment, registries, files, _load_suites(configs, registries))


def _load_suites(configs: Path, registries: dict[str, SourceRegistry]) -> dict[tuple[str, str], Suite]:
    """Every configs/expectations/<source>/<table>.yaml, validated; each must belong to a registered table."""
    suites: dict[tuple[str, str], Suite] = {}
    problems: list[ConfigProblem] = []
    for file in sorted((configs / "expectations").glob("*/*.y*ml")):
        source, table = file.parent.name, file.stem
        tables = [t.name for t in registries[source].tables] if source in registries else []
        if table not in tables:
            where = f"source {source!r}" if source in registries else "no source registry"
            problems.append(
                ConfigProblem(
                    file,
                    "",
                    f"suite for table {source}.{table}, which is not registered ({where})",
                    f"name the file after a table of configs/sources/{source}.yaml ({', '.join(tables) or 'none'})"
                    " or remove it",
                )
            )
            continue
        try:
            suite = load_suite(file)
        except ConfigError as err:
            problems.extend(err.problems)
            continue
        config = next(t for t in registries[source].tables if t.name == table)
        declared = {config.output_name(c): col.type for c, col in config.columns.items() if col.type}
        problems.extend(type_problems(suite, declared, f"src.{source}__{table} (declared in the registry)"))
        suites[(source, table)] = suite
    if problems:
        raise ConfigError(problems)
    return suites


def _load_registry(file: Path) -> SourceRegistry:
    raw = _read_yaml(file)
    if isinstance(raw, dict) and isinstance(raw.get("tables"), list):
        defaults = raw.get("defaults") or {}
        if not isinstance(defaults, dict):
            raise ConfigError.single(file, "defaults", "must be a mapping", "write defaults as key: value pairs")
        tables = raw["tables"]
        raw = {**raw, "tables": [{**defaults, **t} if isinstance(t, dict) else t for t in tables]}
        try:
            return _validate(SourceRegistry, raw, file)
        except ConfigError as err:
            raise ConfigError(_blame_defaults(err.problems, defaults, tables)) from None
    return _validate(SourceRegistry, raw, file)


def _blame_defaults(problems: list[ConfigProblem], defaults: dict, tables: list) -> list[ConfigProblem]:
    """A bad value under defaults: is reported once, at defaults.<key>, not once per table inheriting it."""
    out: list[ConfigProblem] = []
    seen: set[tuple[str, str]] = set()
    for problem in problems:
        match = _TABLE_KEY.match(problem.key_path)
        if match:
            index, key, rest = int(match.group(1)), match.group(2), match.group(3)
            entry = tables[index] if index < len(tables) else None
            if key in defaults and isinstance(entry, dict) and key not in entry:
                problem = ConfigProblem(problem.file, f"defaults.{key}{rest}", problem.problem, problem.fix)
        if (problem.key_path, problem.problem) not in seen:
            seen.add((problem.key_path, problem.problem))
            out.append(problem)
    return out


_TABLE_KEY = re.compile(r"^tables\[(\d+)\]\.([^.\[]+)(.*)$")


def _read_yaml(file: Path) -> Any:
    if not file.exists():
        raise ConfigError.single(file, "", "file not found", f"create {file} or pass --configs DIR")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError.single(
            file, where, f"invalid YAML ({getattr(err, 'problem', err)})", "fix the syntax"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError.single(file, "", "top level must be a mapping", "see configs/ for examples")
    return data


def _reject_literal_secrets(node: Any, file: Path, path: tuple[str | int, ...]) -> None:
    """Secrets live in the environment only: a literal password in a config file is an error."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, key)
            if key in SECRET_KEYS and isinstance(value, str) and value and not is_single_env_reference(value):
                raise ConfigError.single(
                    file,
                    format_key_path(here),
                    "secrets must not be written in config files (the value must be one ${VAR} reference, "
                    "with nothing written around it)",
                    f"write {key}: ${{SOME_ENV_VAR}} and export that variable",
                )
            _reject_literal_secrets(value, file, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _reject_literal_secrets(value, file, (*path, i))


def _validate(model: type[M], data: Any, file: Path, prefix: tuple[str | int, ...] = ()) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError([_problem(e, file, prefix, model, data) for e in err.errors()]) from None


def _problem(error: Any, file: Path, prefix: tuple[str | int, ...], model: type[BaseModel], data: Any) -> ConfigProblem:
    loc = [p for p in error["loc"] if not (isinstance(p, str) and p in _UNION_TAGS)]
    key_path = format_key_path([*prefix, *loc])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1], data)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return ConfigProblem(
            file, key_path, f"unknown key {loc[-1]!r}", f"{hint}allowed keys here: {', '.join(allowed)}"
        )
    if kind == "missing":
        return ConfigProblem(file, key_path, "required key is missing", f"add {loc[-1]}: ...")
    message = str(error["msg"]).removeprefix("Value error, ")
    return ConfigProblem(file, key_path, message, _fix_for(kind, message))


_UNION_TAGS = {
    "sqlite",
    "mysql",
    "local",
    "s3",
    "duckdb",
    "postgres",
    "snowflake",
    "jsonl",
    "webhook",
    "smtp",
    "function-after",
}


def _fix_for(kind: str, message: str) -> str:
    if "identifier" in message:
        return "rename it to a plain SQL identifier"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return "set kind: to one of the listed values"
    if kind == "literal_error":
        return "use one of the allowed values"
    return "correct the value as described"


def _allowed_keys(model: type[BaseModel], loc: list[str | int], data: Any) -> list[str]:
    """Walk the model along loc to list the keys allowed where an unknown key appeared."""
    current: Any = model
    node = data
    for part in loc:
        node = node[part] if isinstance(node, dict | list) else None
        current = _field_model(current, part, node)
        if current is None:
            return []
    return sorted(current.model_fields) if current else []


def _field_model(current: Any, part: str | int, node: Any) -> Any:
    """The pydantic model a key of `current` holds (for a tagged union: the one `node`'s kind selects)."""
    if isinstance(part, int):
        return current
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return None
    field = current.model_fields.get(str(part))
    if field is None:
        return None
    candidates = [field.annotation]
    out = []
    while candidates:
        ann = candidates.pop()
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.append(ann)
        else:
            candidates.extend(a for a in typing.get_args(ann) if a is not type(None))
    if len(out) > 1 and isinstance(node, dict):
        kind = node.get("kind")
        out = [
            m for m in out if "kind" in m.model_fields and kind in typing.get_args(m.model_fields["kind"].annotation)
        ] or out
    return out[0] if out else None
