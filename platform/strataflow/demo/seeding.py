"""(Re)create the demo source: schema, initial history, then simulated change days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from strataflow.demo.connect import connect_mysql, connect_sqlite
from strataflow.demo.generator import generate
from strataflow.demo.schema import create_schema
from strataflow.demo.simulator import simulate_day


def seed_source(
    *,
    mysql_url: str | None = None,
    sqlite_path: str | Path | None = None,
    scale: int,
    start: date,
    days: int,
    change_days: int = 0,
    echo: Callable[[str], None] = print,
) -> None:
    if sqlite_path is not None:
        Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):  # a stale WAL would be replayed into the new file
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        conn, dialect = connect_sqlite(sqlite_path), "sqlite"
    elif mysql_url is not None:
        conn, dialect = connect_mysql(mysql_url), "mysql"
    else:
        raise ValueError("give a MySQL URL or a SQLite path")
    try:
        create_schema(conn, dialect)
        counts = generate(conn, dialect, scale=scale, start=start, days=days)
        echo("generated " + ", ".join(f"{table}={n}" for table, n in counts.items()))
        for offset in range(days, days + change_days):
            day = start + timedelta(days=offset)
            summary = simulate_day(conn, dialect, day, seed=offset)
            echo(f"simulated {day}: {summary.total} changes")
        conn.commit()
    finally:
        conn.close()
