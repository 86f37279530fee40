"""The load choreography every SQL target shares.

    DDL (create schema/table, add drifted columns) -> DELETE the partition (or all rows)
    -> bulk insert -> audit row -> COMMIT

all in one transaction, so a failure at any step leaves the previous rows readable. A failed
attempt is then recorded in its own transaction and the error re-raised. Subclasses only say
how to talk to their database and how to bulk-insert a stream of batches.
"""

from __future__ import annotations

import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar, Self

import pyarrow as pa

from strataflow.warehouse.audit import (
    AUDIT_COLUMNS,
    AUDIT_SCHEMA,
    AUDIT_TABLE,
    AuditRecord,
    insert_sql,
    utc_now,
)
from strataflow.warehouse.base import PARTITION_COLUMN, SRC_SCHEMA, LoadRequest, LoadResult
from strataflow.warehouse.dialects import Dialect
from strataflow.warehouse.stream import BatchStream

log = logging.getLogger(__name__)


class LoadIntegrityError(RuntimeError):
    """The database reports a different row count than the rows that were streamed to it."""


class SqlWarehouse(ABC):
    """Base class of the DuckDB, PostgreSQL and Snowflake loaders. Not thread-safe."""

    dialect: ClassVar[Dialect]
    # False where DDL commits the open transaction (Snowflake): DDL then runs before it. The DDL
    # is additive and idempotent (create if missing, add nullable columns), so running it ahead
    # of a load that later fails loses nothing.
    transactional_ddl: ClassVar[bool] = True

    # -- what a target supplies ---------------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """Commit on normal exit, roll back when the block raises."""

    @abstractmethod
    def _bulk_insert(self, target: str, stream: BatchStream, staged: Any) -> int:
        """Insert the stream's rows by column name; return the row count the database reports."""

    def _stage(self, request: LoadRequest, stream: BatchStream, load_id: str) -> Any:
        """Work done before the transaction opens (Snowflake uploads files here)."""
        return None

    def _discard_staged(self, staged: Any) -> None:
        """Clean up what `_stage` left behind after a failed load."""
        return None

    def _lock_for_ddl(self) -> bool:
        """Serialise concurrent DDL where needed; True if the catalog must then be re-read."""
        return False

    def _lock_for_replace(self, target: str, partition: str | None) -> None:
        """Serialise loads replacing the same rows (a partition, or the whole table when None).

        Needed where a DELETE does not block a concurrent transaction's later INSERT (PostgreSQL under
        read committed: both loads delete, both insert, both keep their rows)."""
        return None

    @abstractmethod
    def close(self) -> None: ...

    # -- the Warehouse protocol ---------------------------------------------------------

    def query(self, sql: str) -> list[tuple]:
        return self._fetchall(sql)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, request: LoadRequest, data: pa.RecordBatchReader) -> LoadResult:
        load_id = str(uuid.uuid4())
        started_at = utc_now()
        stream: BatchStream | None = None
        staged: Any = None
        try:
            partition = request.partition if request.mode == "replace_partition" else None
            stream = BatchStream(data, partition=partition)
            if not self.transactional_ddl:
                self._ensure_tables(request.table, stream.schema)
            staged = self._stage(request, stream, load_id)
            with self._transaction():
                if self.transactional_ddl:
                    self._ensure_tables(request.table, stream.schema)
                self._clear(request)
                target = self.dialect.qualify(SRC_SCHEMA, request.table)
                rows = self._bulk_insert(target, stream, staged)
                if rows != stream.rows:
                    raise LoadIntegrityError(f"{target}: {stream.rows} rows streamed, {rows} inserted")
                finished_at = utc_now()
                record = AuditRecord.of(
                    request, load_id=load_id, rows=rows, started_at=started_at, finished_at=finished_at
                )
                self._execute(insert_sql(self.dialect), record.params())
        except Exception as exc:
            # A driver may wrap an exception raised by the upstream reader; report the original.
            error = stream.error if stream is not None and stream.error is not None else exc
            self._record_failure(request, load_id, started_at, error)
            if staged is not None:
                self._discard_staged(staged)
            if error is exc:
                raise
            raise error from None  # the driver's wrapper only repeats it
        log.info("loaded %s rows into %s.%s (%s)", rows, SRC_SCHEMA, request.table, request.partition)
        return LoadResult(rows=rows, started_at=started_at, finished_at=finished_at)

    def append_audit(self, table: str, columns: pa.Schema, rows: list[tuple]) -> None:
        """Append rows to `audit.<table>` (created, or given missing columns, first) in one transaction."""

        def missing() -> list[str]:
            statements = [] if self._schema_exists(AUDIT_SCHEMA) else [self.dialect.create_schema(AUDIT_SCHEMA)]
            existing = self._existing_columns(AUDIT_SCHEMA, table)
            if not existing:
                statements.append(self.dialect.create_table(AUDIT_SCHEMA, table, columns))
            else:
                statements += [
                    self.dialect.add_column(AUDIT_SCHEMA, table, f)
                    for f in columns
                    if self.dialect.fold(f.name) not in existing
                ]
            return statements

        def ddl() -> None:
            # Concurrent first calls would race on CREATE SCHEMA/TABLE: take the DDL lock, then re-read.
            statements = missing()
            if statements and self._lock_for_ddl():
                statements = missing()
            for statement in statements:
                self._execute(statement)

        names = ", ".join(self.dialect.quote(n) for n in columns.names)
        insert = (
            f"INSERT INTO {self.dialect.qualify(AUDIT_SCHEMA, table)} ({names}) "
            f"VALUES ({self.dialect.params(len(columns))})"
        )
        if not self.transactional_ddl:
            ddl()
        with self._transaction():
            if self.transactional_ddl:
                ddl()
            for row in rows:
                self._execute(insert, row)

    # -- shared steps -------------------------------------------------------------------

    def _clear(self, request: LoadRequest) -> None:
        target = self.dialect.qualify(SRC_SCHEMA, request.table)
        self._lock_for_replace(target, request.partition if request.mode == "replace_partition" else None)
        if request.mode == "replace_table":
            self._execute(f"DELETE FROM {target}")
        else:
            column = self.dialect.quote(PARTITION_COLUMN)
            self._execute(f"DELETE FROM {target} WHERE {column} = {self.dialect.param}", (request.partition,))

    def _record_failure(self, request: LoadRequest, load_id: str, started_at: datetime, error: BaseException) -> None:
        record = AuditRecord.of(
            request, load_id=load_id, rows=0, started_at=started_at, finished_at=utc_now(), error=error
        )
        try:
            if not self.transactional_ddl:
                self._ensure_tables(None, None)
            with self._transaction():
                if self.transactional_ddl:
                    self._ensure_tables(None, None)
                self._execute(insert_sql(self.dialect), record.params())
        except Exception as audit_exc:
            log.exception("could not write the failed-load audit row for %s", request.asset)
            error.add_note(f"strataflow: the 'failed' audit row could not be written either: {audit_exc!r}")

    def _ensure_tables(self, table: str | None, columns: pa.Schema | None) -> None:
        """Create the audit table and, given a table, `src.<table>`; add columns they lack."""
        statements = self._missing_ddl(table, columns)
        if statements and self._lock_for_ddl():
            statements = self._missing_ddl(table, columns)
        for statement in statements:
            log.info("warehouse DDL: %s", statement)
            self._execute(statement)

    def _missing_ddl(self, table: str | None, columns: pa.Schema | None) -> list[str]:
        wanted = [(AUDIT_SCHEMA, AUDIT_TABLE, AUDIT_COLUMNS)]
        if table is not None and columns is not None:
            wanted.append((SRC_SCHEMA, table, columns))
        statements: list[str] = []
        for schema in dict.fromkeys(s for s, _, _ in wanted):
            if not self._schema_exists(schema):
                statements.append(self.dialect.create_schema(schema))
        for schema, name, fields in wanted:
            existing = self._existing_columns(schema, name)
            if not existing:
                statements.append(self.dialect.create_table(schema, name, fields))
                if schema == SRC_SCHEMA and self.dialect.index_partition and "_partition" in fields.names:
                    statements.append(self.dialect.create_partition_index(schema, name))
                continue
            statements += [
                self.dialect.add_column(schema, name, field)
                for field in fields
                if self.dialect.fold(field.name) not in existing
            ]
        return statements

    def _schema_exists(self, schema: str) -> bool:
        sql = (
            "SELECT 1 FROM information_schema.schemata "
            f"WHERE catalog_name = current_database() AND schema_name = {self.dialect.param}"
        )
        return bool(self._fetchall(sql, (self.dialect.fold(schema),)))

    def _existing_columns(self, schema: str, table: str) -> set[str]:
        """Column names as the catalog stores them; empty if the table does not exist."""
        p = self.dialect.param
        sql = (
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_catalog = current_database() AND table_schema = {p} AND table_name = {p}"
        )
        return {row[0] for row in self._fetchall(sql, (self.dialect.fold(schema), self.dialect.fold(table)))}
