"""DuckDB target: DuckDB scans the Arrow stream itself, so no row ever becomes a Python object."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from strataflow.warehouse.dialects import DUCKDB
from strataflow.warehouse.sql_warehouse import SqlWarehouse
from strataflow.warehouse.stream import BatchStream

log = logging.getLogger(__name__)


DEFAULT_LOCK_TIMEOUT_S = 300.0


class WarehouseLockTimeoutError(RuntimeError):
    """Another process kept the DuckDB file locked for longer than the configured timeout."""


def connect_waiting(path: str, config: Mapping[str, str], timeout_s: float) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, waiting up to timeout_s for another process's lock to go.

    DuckDB allows one writing process per file and fails at once on a conflicting lock; two partitions
    loading at once (a backfill, a retry next to the schedule) must take turns, not both fail."""
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path, config=dict(config))
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                holder = _LOCK_HOLDER.search(str(error))
                raise WarehouseLockTimeoutError(
                    f"the DuckDB warehouse {path} stayed locked by another process "
                    f"({holder.group(1) if holder else 'unknown'}) for {timeout_s:g}s, so this load gave up. "
                    "Another run, a dbt build or a DuckDB shell is writing it: let it finish (or stop it) and "
                    "re-run, or raise warehouse.lock_timeout_s in configs/platform.yaml"
                ) from None
            log.info("DuckDB file %s is locked by another process; waiting (%.0fs left)", path, remaining)
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.+?)(?:\. See|$)")


# The storage format a new warehouse file is written in: DuckDB 2.0 writes its newest format by default,
# which the DuckDB CLIs most users have installed (1.4 LTS, 1.5) cannot open. v1.4.0 opens in DuckDB 1.4
# and later, 2.0 included; an existing file keeps the format it was created with.
STORAGE_COMPATIBILITY_VERSION = "v1.4.0"


class DuckDBWarehouse(SqlWarehouse):
    """A DuckDB database file. DuckDB allows one writing process: close() releases the file."""

    dialect = DUCKDB

    def __init__(
        self,
        path: str,
        *,
        config: Mapping[str, str] | None = None,
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    ) -> None:
        """`config`: DuckDB settings such as memory_limit or threads; DuckDB spills beyond its limit.
        `lock_timeout_s`: how long to wait for another process holding the file."""
        settings = dict(config or {})
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            if not Path(path).expanduser().exists():
                settings.setdefault("storage_compatibility_version", STORAGE_COMPATIBILITY_VERSION)
        self._con = connect_waiting(path, settings, lock_timeout_s)
        # Query results then show timestamptz values in UTC, whatever the host's zone.
        self._con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self._con.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params) or None)

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._con.execute(sql, list(params) or None).fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._con.begin()
        try:
            yield
        except BaseException:
            self._con.rollback()
            raise
        self._con.commit()

    def _bulk_insert(self, target: str, stream: BatchStream, staged: Any) -> int:
        columns = ", ".join(self.dialect.quote(name) for name in stream.schema.names)
        # DuckDB finds this local by name (a replacement scan) and pulls batches as it inserts.
        # Unlike register(), nothing is added to the catalog that would need removing from a
        # transaction a failed INSERT has already aborted.
        _strataflow_load_batches = stream.to_reader()
        row = self._con.execute(
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM _strataflow_load_batches"
        ).fetchone()
        return int(row[0]) if row else 0
