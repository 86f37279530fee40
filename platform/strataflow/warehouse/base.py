"""The warehouse contract: what a loader is asked to do and what it answers.

These types are shared by every target so that the orchestration layer can load a SRC
partition without knowing which warehouse sits behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

import pyarrow as pa

LoadMode = Literal["replace_partition", "replace_table"]
LOAD_MODES: tuple[LoadMode, ...] = ("replace_partition", "replace_table")

# Lower-case only: the same name then means the same object on every target (Snowflake folds
# unquoted names to upper case, PostgreSQL to lower case). 63 is PostgreSQL's limit, beyond
# which it would silently truncate the name.
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

SRC_SCHEMA = "src"
PARTITION_COLUMN = "_partition"


def validate_identifier(name: str, what: str = "identifier") -> str:
    """Return the name if it is a safe warehouse identifier, else raise ValueError saying why."""
    if not isinstance(name, str) or not IDENTIFIER_RE.match(name):
        raise ValueError(
            f"{what} {name!r} is not a valid warehouse identifier: use lower-case letters, digits and "
            "underscores, starting with a letter or underscore, at most 63 characters"
        )
    return name


@dataclass(frozen=True)
class LoadRequest:
    """One load of one SRC partition (or full snapshot) into `src.<table>`."""

    asset: str
    table: str
    partition: str
    mode: LoadMode
    batch_id: str
    watermark_min: datetime | None
    watermark_max: datetime | None

    def __post_init__(self) -> None:
        validate_identifier(self.table, "table")
        if self.mode not in LOAD_MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(LOAD_MODES)}")
        if not self.partition:
            raise ValueError("partition must be a non-empty partition key")


@dataclass(frozen=True)
class LoadResult:
    """What a committed load did; the same figures are written to audit.load_log."""

    rows: int
    started_at: datetime
    finished_at: datetime


@runtime_checkable
class Warehouse(Protocol):
    """A target the SRC layer can be loaded into idempotently."""

    def load(self, request: LoadRequest, data: pa.RecordBatchReader) -> LoadResult: ...

    def query(self, sql: str) -> list[tuple]: ...

    def close(self) -> None: ...
