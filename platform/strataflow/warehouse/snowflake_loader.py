"""Snowflake target: Parquet files PUT to the table's stage, then one COPY INTO in the transaction.

This is the bulk path `write_pandas` uses internally, without pandas: batches are streamed
into Parquet files of bounded size, each uploaded and deleted before the next is written.
Snowflake commits implicitly before any DDL, so the (additive, idempotent) DDL and the upload
run before BEGIN; DELETE, COPY INTO and the audit row then commit together.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from strataflow.warehouse.base import SRC_SCHEMA, LoadRequest
from strataflow.warehouse.dialects import SNOWFLAKE
from strataflow.warehouse.sql_warehouse import LoadIntegrityError, SqlWarehouse
from strataflow.warehouse.stream import BatchStream

log = logging.getLogger(__name__)

# Parquet logical types carry decimals, UTC instants and binary exactly; NULL_IF = () keeps a
# string such as '\N' a string instead of Snowflake's default conversion to NULL.
_FILE_FORMAT = "TYPE = PARQUET BINARY_AS_TEXT = FALSE USE_LOGICAL_TYPE = TRUE NULL_IF = ()"


@dataclass(frozen=True)
class _Staged:
    location: str  # stage path holding this load's files only
    files: int


class SnowflakeWarehouse(SqlWarehouse):
    """A Snowflake database; `connect_kwargs` go to snowflake.connector.connect (database included).

    The connection is opened with autocommit (transactions are explicit), the connector's
    client-side "pyformat" parameter style and, unless given, session TIMEZONE = UTC so that
    TIMESTAMP_TZ values are stored with a +00:00 offset.
    """

    dialect = SNOWFLAKE
    transactional_ddl = False

    def __init__(
        self, connect_kwargs: dict[str, Any], *, file_rows: int = 1_000_000, stage_dir: Path | None = None
    ) -> None:
        """`stage_dir`: where Parquet files are written before their PUT (None: the system temp folder;
        connections.open_warehouse passes the project home, which a container keeps on its volume)."""
        import snowflake.connector  # imported here: it takes seconds, and only this target needs it

        kwargs = {**connect_kwargs, "autocommit": True, "paramstyle": "pyformat"}
        kwargs["session_parameters"] = {"TIMEZONE": "UTC", **(connect_kwargs.get("session_parameters") or {})}
        self._conn = snowflake.connector.connect(**kwargs)
        self._cursor = self._conn.cursor()
        self._file_rows = file_rows
        self._stage_dir = stage_dir

    def close(self) -> None:
        self._conn.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(sql, tuple(params) or None)

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self._cursor.execute(sql, tuple(params) or None).fetchall())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._execute("BEGIN")
        try:
            yield
        except BaseException:
            self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def _stage(self, request: LoadRequest, stream: BatchStream, load_id: str) -> _Staged:
        # Identifiers are validated lower-case names, so the unquoted (upper-cased) form of the
        # table stage is the same object and safe to write here.
        location = f"@{self.dialect.fold(SRC_SCHEMA)}.%{self.dialect.fold(request.table)}/{load_id}/"
        if self._stage_dir is not None:
            self._stage_dir.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="strataflow-snowflake-", dir=self._stage_dir))
        files = 0
        try:
            writer: pq.ParquetWriter | None = None
            for batch in stream:
                if writer is None:
                    path = workdir / f"part-{files:05d}.parquet"
                    writer, rows_in_file = pq.ParquetWriter(path, stream.schema), 0
                writer.write_batch(batch)
                rows_in_file += batch.num_rows
                if rows_in_file >= self._file_rows:
                    writer.close()
                    files, writer = files + 1, None
                    self._put(path, location)
            if writer is not None:
                writer.close()
                files += 1
                self._put(path, location)
        except BaseException:
            self._discard_staged(_Staged(location, files))
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return _Staged(location, files)

    def _put(self, path: Path, location: str) -> None:
        if "'" in str(path):
            raise ValueError(f"temporary path {path} cannot be quoted for PUT")
        self._execute(f"PUT 'file://{path}' {location} AUTO_COMPRESS = FALSE")
        path.unlink()

    def _bulk_insert(self, target: str, stream: BatchStream, staged: _Staged) -> int:
        if staged.files == 0:
            return 0
        cursor = self._cursor.execute(
            f"COPY INTO {target} FROM {staged.location} FILE_FORMAT = ({_FILE_FORMAT}) "
            "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT PURGE = TRUE"
        )
        names = [d[0].lower() for d in cursor.description]
        results = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if len(results) != staged.files or any(r["status"] != "LOADED" for r in results):
            raise LoadIntegrityError(f"COPY INTO {target} did not load every staged file: {results}")
        return sum(int(r["rows_loaded"]) for r in results)

    def _discard_staged(self, staged: _Staged) -> None:
        if staged.files == 0:
            return
        try:
            self._execute(f"REMOVE {staged.location}")
        except Exception as exc:
            # The files sit under this load's own path and are never loaded again; they only use storage.
            log.warning("could not remove staged files at %s: %s", staged.location, exc)
