"""${VAR} and ${VAR:-default} substitution in loaded YAML, reporting the key path of a missing variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strataflow.config.errors import ConfigError, ConfigProblem, format_key_path

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def has_env_reference(value: object) -> bool:
    return isinstance(value, str) and bool(_REF.search(value))


def is_single_env_reference(value: object) -> bool:
    """True for exactly one `${VAR}` / `${VAR:-default}` and nothing around it: a secret field written
    as `Lit3ral${X:-}` holds a literal secret, whatever reference sits next to it."""
    return isinstance(value, str) and bool(_REF.fullmatch(value.strip()))


def substitute(
    value: Any, file: Path | str, path: tuple[str | int, ...] = (), env: Mapping[str, str] | None = None
) -> Any:
    """Return a copy of value with every reference resolved; raise one ConfigError listing all missing."""
    env = os.environ if env is None else env
    problems: list[ConfigProblem] = []

    def walk(node: Any, at: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*at, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*at, i)) for i, v in enumerate(node)]
        if not isinstance(node, str):
            return node

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            problems.append(
                ConfigProblem(
                    file,
                    format_key_path(at),
                    f"environment variable {name} is not set",
                    f"export {name}=... before running, or give a default as ${{{name}:-value}}",
                )
            )
            return ""

        return _REF.sub(repl, node)

    result = walk(value, path)
    if problems:
        raise ConfigError(problems)
    return result
