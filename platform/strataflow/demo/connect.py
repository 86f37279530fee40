"""DB-API connections to the demo source: MySQL/MariaDB over pymysql, or an embedded SQLite file.

The demo code speaks plain DB-API so the same generator and simulator run on both; the only
dialect differences it needs (placeholder style, value adaptation) live here and in `dbio`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql

Dialect = Literal["mysql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("mysql", "sqlite")
_MYSQL_SCHEMES = {"mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"}


def check_dialect(dialect: str) -> Dialect:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}: expected one of {', '.join(DIALECTS)}")
    return dialect  # type: ignore[return-value]


def placeholder(dialect: Dialect) -> str:
    """The DB-API parameter marker: pymysql is `format` style, sqlite3 is `qmark` style."""
    return "%s" if check_dialect(dialect) == "mysql" else "?"


def mysql_params(url: str) -> dict[str, Any]:
    """Parse `mysql://user:password@host:port/database` into pymysql.connect keyword arguments.

    User and password are percent-decoded, so passwords with `@` or `/` can be written `%40`, `%2F`.
    The database part is optional (to connect before creating a database).
    """
    parts = urlsplit(url)
    if parts.scheme not in _MYSQL_SCHEMES:
        raise ValueError(f"not a MySQL URL: scheme {parts.scheme!r}; expected mysql://user:password@host:port/database")
    params: dict[str, Any] = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 3306}
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    database = unquote(parts.path.lstrip("/"))
    if database:
        params["database"] = database
    for key, values in parse_qs(parts.query).items():
        if key in {"connect_timeout", "read_timeout", "write_timeout"}:
            params[key] = int(values[-1])
    return params


def connect_mysql(url: str | None = None, **params: Any) -> pymysql.connections.Connection:
    """Open a pymysql connection in utf8mb4 (4-byte UTF-8: emoji, rare CJK), autocommit off.

    Give a URL, keyword arguments for pymysql.connect, or both (keywords win).
    """
    merged: dict[str, Any] = mysql_params(url) if url else {}
    merged.update(params)
    merged.setdefault("charset", "utf8mb4")
    merged.setdefault("autocommit", False)
    return pymysql.connect(**merged)


def connect_sqlite(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the embedded demo database file.

    WAL journaling lets an extract read the file while the simulator writes to it.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def dialect_of(conn: Any) -> Dialect:
    """Tell the dialect from a connection object (used to guard against mismatched arguments)."""
    return "sqlite" if isinstance(conn, sqlite3.Connection) else "mysql"
