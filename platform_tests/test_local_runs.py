"""Runs executed in this process (strataflow.local_runs): the SQLite run storage's commit mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from strataflow.local_runs import fast_sqlite_commits

FULL, NORMAL = 2, 1


def _synchronous(db: Path, wal: bool) -> int:
    """PRAGMA synchronous as a new SQLAlchemy connection (the way Dagster's storage connects) sees it."""
    if wal:
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    engine = create_engine(f"sqlite:///{db}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("PRAGMA synchronous")).scalar_one())
    finally:
        engine.dispose()


def test_only_wal_databases_under_the_dagster_home_commit_without_fsync(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "dagster", tmp_path / "other"
    for folder in (home / "history", elsewhere):
        folder.mkdir(parents=True)
    assert _synchronous(home / "history" / "before.db", wal=True) == FULL  # SQLite's default
    fast_sqlite_commits(home)
    assert _synchronous(home / "history" / "runs.db", wal=True) == NORMAL
    assert _synchronous(home / "history" / "journal.db", wal=False) == FULL  # rollback journal: keep fsync
    assert _synchronous(elsewhere / "runs.db", wal=True) == FULL  # another process's or instance's files
