"""A small query interface over the source databases discovery and profiling read (MySQL/MariaDB, SQLite).

Work is pushed into the source as SQL; only aggregates and bounded samples come back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pymysql

from strataflow.config import Project, quote_identifier
from strataflow.config.models import MySQLSourceConfig
from strataflow.connections import resolve_path


@dataclass
class SourceDB:
    """One open connection; `dialect` is 'mysql' or 'sqlite'. Use as a context manager."""

    dialect: str
    database: str
    conn: Any

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        if self.dialect == "sqlite":
            return self.conn.execute(sql.replace("%s", "?"), tuple(params)).fetchall()
        with closing(self.conn.cursor()) as cur:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def q(self, name: str) -> str:
        return quote_identifier(name, self.dialect)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SourceDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_mysql(url: str) -> SourceDB:
    parsed = urlparse(url)
    database = parsed.path.lstrip("/")
    conn = pymysql.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 3306,
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        database=database,
        charset="utf8mb4",
        connect_timeout=10,
        autocommit=True,
    )
    return SourceDB("mysql", database, conn)


def open_sqlite(path: str | Path) -> SourceDB:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"SQLite file {path} does not exist")
    return SourceDB("sqlite", path.stem, sqlite3.connect(f"file:{path}?mode=ro", uri=True))


def open_source(
    project: Project | None, source: str | None, mysql_url: str | None = None, sqlite: str | None = None
) -> SourceDB:
    """A configured source by name, or an explicit --mysql-url / --sqlite one not configured yet."""
    if mysql_url:
        return open_mysql(mysql_url)
    if sqlite:
        return open_sqlite(sqlite)
    assert project is not None and source is not None
    conn = project.environment.sources[source]
    if isinstance(conn, MySQLSourceConfig):
        return open_mysql(conn.url())
    return open_sqlite(resolve_path(project, conn.path))


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
