"""Configuration errors that tell the user which file, which key and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConfigProblem:
    file: Path | str
    key_path: str
    problem: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else f"{self.file}"
        return f"{where}: {self.problem}. Fix: {self.fix}"


class ConfigError(ValueError):
    """One or more configuration problems; the message lists each with file, key path and fix."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def single(cls, file: Path | str, key_path: str, problem: str, fix: str) -> ConfigError:
        return cls([ConfigProblem(file, key_path, problem, fix)])


def format_key_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Render ('tables', 3, 'watermark') as 'tables[3].watermark'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
