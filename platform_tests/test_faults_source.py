"""Source faults on a real MariaDB: a query killed mid-stream, a source that stays down, bad credentials."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from conftest import MYSQL, mysql_connect, mysql_url
from strataflow.config import TableRef
from strataflow.config.models import TableConfig
from strataflow.extract import MySQLReader, SourceUnavailableError
from strataflow.extract.retry import SourceReadError, is_permanent, is_transient, with_retries
from strataflow.lake import LakeStorage, read_committed
from strataflow.pipeline import extract_partition

ROWS = 4000


def ref(name: str) -> TableRef:
    config = TableConfig(name=name, load_type="full", primary_key=["id"], partitioning={"start": "2025-01-01"})
    return TableRef("src1", config, Path("sources/src1.yaml"), 0)


@pytest.fixture
def slow_db(mysql_db: str) -> str:
    """A view that takes ~0.3 ms a row, so a query over it is still running when it is killed."""
    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE base (id INT PRIMARY KEY, s VARCHAR(40) NOT NULL)")
        cur.execute(f"INSERT INTO base SELECT seq, CONCAT('row ', seq) FROM seq_1_to_{ROWS}")
        cur.execute("CREATE VIEW slow AS SELECT id, s FROM base WHERE SLEEP(0.0003) = 0")
        conn.commit()
    return mysql_db


def kill_running_select(database: str, table: str, what: str = "QUERY") -> bool:
    """KILL QUERY (or CONNECTION), from another connection, the SELECT streaming `table`."""
    with pymysql.connect(**MYSQL, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND INFO LIKE %s",
            (database, f"SELECT % FROM `{table}`%"),
        )
        ids = [row[0] for row in cur.fetchall()]
        for query_id in ids:
            cur.execute(f"KILL {what} {int(query_id)}")
        return bool(ids)


class KillingReader(MySQLReader):
    """A real MySQL reader whose query is killed from another connection after its first batch,
    in the first `kills` attempts."""

    def __init__(self, url: str, database: str, kills: int, what: str = "QUERY") -> None:
        super().__init__(url, batch_rows=50)
        self.database, self.kills, self.what, self.attempts = database, kills, what, 0

    def stream(self, table: str, *args: object, **kwargs: object) -> Iterator:  # type: ignore[override]
        self.attempts += 1
        for n, batch in enumerate(super().stream(table, *args, **kwargs)):  # type: ignore[arg-type]
            yield batch
            if n == 0 and self.attempts <= self.kills:
                assert kill_running_select(self.database, table, self.what), "the SELECT was not running any more"


def test_a_query_killed_mid_stream_is_retried_and_converges(slow_db: str, tmp_path: Path) -> None:
    reader = KillingReader(mysql_url(slow_db), slow_db, kills=1)
    storage = LakeStorage.local(tmp_path / "lake")
    result = extract_partition(reader, storage, ref("slow"), "2025-01-01", attempts=3, base_delay=0.01)
    assert reader.attempts == 2
    assert result.rows == ROWS
    _, data = read_committed(storage, "raw/src1/slow/ingestion_date=2025-01-01")
    assert data.column("id").to_pylist() == list(range(1, ROWS + 1))


def test_a_query_killed_every_time_ends_in_a_clear_error(slow_db: str, tmp_path: Path) -> None:
    reader = KillingReader(mysql_url(slow_db), slow_db, kills=2)
    with pytest.raises(SourceUnavailableError) as caught:
        extract_partition(
            reader, LakeStorage.local(tmp_path / "lake"), ref("slow"), "2025-01-01", attempts=2, base_delay=0.01
        )
    message = str(caught.value)
    assert "extract src1.slow partition 2025-01-01 failed 2 times" in message
    assert "Query execution was interrupted" in message
    assert isinstance(caught.value.__cause__, SourceReadError)  # an Exception: Dagster's retry policy sees it
    assert reader.attempts == 2


def test_wrong_credentials_fail_fast_without_retries(mysql_db: str, tmp_path: Path) -> None:
    reader = MySQLReader(f"mysql://{MYSQL['user']}:wrong-password@{MYSQL['host']}:{MYSQL['port']}/{mysql_db}")
    started = time.monotonic()
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        extract_partition(reader, LakeStorage.local(tmp_path), ref("t"), "2025-01-01", base_delay=5)
    assert time.monotonic() - started < 4  # no backoff sleep of 5 s


def test_access_denied_behind_a_connection_timeout_is_permanent() -> None:
    """connectorx's pool reports bad credentials as a timeout; the underlying cause decides."""
    pooled = RuntimeError(
        "timed out waiting for connection: MySqlError { ERROR 1045 (28000): Access denied for user "
        "'root'@'127.0.0.1' (using password: YES) }"
    )
    down = RuntimeError("timed out waiting for connection: DriverError { Could not connect to address: refused }")
    assert not is_transient(pooled)
    assert is_transient(down)
    wrapped = RuntimeError("could not read")
    wrapped.__cause__ = pymysql.err.OperationalError(1045, "Access denied")
    assert not is_transient(wrapped)
    interrupted = RuntimeError("cx writer failed: MySqlError { ERROR 1317 (70100): Query execution was interrupted }")
    assert is_transient(interrupted)


@pytest.mark.slow  # ~30 s: connectorx's connection pool retries the refused login on its own first
def test_a_wrong_password_through_connectorx_fails_as_permanent_without_retries(mysql_db: str) -> None:
    """The real connectorx error for bad credentials (not a made-up message): after its pool's own ~30 s
    of retries it raises "timed out waiting for connection: MySqlError { ERROR 1045 ... }". The 1045 inside
    decides: permanent, so no backoff sleep and no second attempt on top of connectorx's wait."""
    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO t VALUES (1), (2)")
        conn.commit()
    columns = MySQLReader(mysql_url(mysql_db)).columns("t")
    reader = MySQLReader(f"mysql://{MYSQL['user']}:wrong-password@{MYSQL['host']}:{MYSQL['port']}/{mysql_db}")
    attempts: list[int] = []
    sleeps: list[float] = []

    def read() -> list:
        attempts.append(1)
        return list(reader.stream("t", columns, ["id"]))

    started = time.monotonic()
    with pytest.raises(RuntimeError) as caught:  # connectorx raises a plain RuntimeError here (no panic)
        with_retries(read, what="reading t", base_delay=5, sleep=sleeps.append)
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert "timed out waiting for connection" in message and "ERROR 1045" in message, message
    assert attempts == [1] and sleeps == []  # one attempt, no strataflow backoff
    assert is_permanent(caught.value) and not is_transient(caught.value)
    assert elapsed < 50  # connectorx's own wait (~30 s), nothing of ours on top


def test_a_rust_panic_is_retried_like_any_transient_error() -> None:
    """A BaseException from native code must reach the backoff loop, not bypass it."""

    class PanicException(BaseException):  # what pyo3 raises; its real class is not importable
        pass

    delays: list[float] = []
    calls = iter([PanicException("cx writer failed: ERROR 2013 (HY000): Lost connection"), "ok"])

    def flaky() -> str:
        outcome = next(calls)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    assert with_retries(flaky, what="x", base_delay=0.5, sleep=delays.append) == "ok"
    assert delays == [0.5]


def test_a_connection_killed_mid_stream_is_retried(slow_db: str, tmp_path: Path) -> None:
    """The server dropping the reading connection (not just its query) is retried too."""
    reader = KillingReader(mysql_url(slow_db), slow_db, kills=1, what="CONNECTION")
    result = extract_partition(
        reader, LakeStorage.local(tmp_path / "lake"), ref("slow"), "2025-01-01", attempts=3, base_delay=0.01
    )
    assert reader.attempts == 2
    assert result.rows == ROWS


def test_a_dagster_run_with_a_wrong_password_is_not_retried(
    mysql_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RAW retry policy is for transient errors: access denied fails the step once, with the fix."""
    from dagster import DagsterEventType, DagsterInstance

    from pipeline_helpers import make_project, mysql_source_config, subset
    from strataflow.definitions import build_definitions
    from strataflow.defs.jobs import MAIN_JOB

    monkeypatch.setenv("TEST_MYSQL_PASSWORD", "wrong-password")
    lake, warehouse = {"kind": "local", "path": str(tmp_path / "lake")}, {"kind": "duckdb", "path": str(tmp_path / "w")}
    project = make_project(tmp_path, mysql_source_config(mysql_db), lake, warehouse)
    job = build_definitions(project).resolve_job_def(MAIN_JOB)
    raw = sorted(k for k in job.asset_layer.asset_graph.get_all_asset_keys() if k.path[0] == "raw")[:1]
    with DagsterInstance.ephemeral() as instance:
        result = subset(job, raw).execute_in_process(
            partition_key="2025-01-01", instance=instance, raise_on_error=False
        )
    types = [e.event_type for e in result.all_events]
    assert not result.success
    assert DagsterEventType.STEP_UP_FOR_RETRY not in types
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.message
    assert "Access denied" in message and "fix: check the source's user and password" in message


class DroppedCountReader(MySQLReader):
    """A real MySQL reader whose first count runs on a connection the server has just killed."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.counts = 0

    def _connect(self) -> pymysql.connections.Connection:
        conn = super()._connect()
        self.counts += 1
        if self.counts == 1:
            with pymysql.connect(**MYSQL, autocommit=True) as admin, admin.cursor() as cur:
                cur.execute(f"KILL CONNECTION {conn.thread_id()}")
        return conn


def test_the_reconciliation_count_is_retried_after_a_dropped_connection(mysql_db: str, tmp_path: Path) -> None:
    from strataflow.pipeline import reconcile_partition

    with mysql_connect(mysql_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO t SELECT seq FROM seq_1_to_25")
        conn.commit()
    storage = LakeStorage.local(tmp_path / "lake")
    extract_partition(MySQLReader(mysql_url(mysql_db)), storage, ref("t"), "2025-01-01")
    reader = DroppedCountReader(mysql_url(mysql_db))
    result = reconcile_partition(reader, storage, None, ref("t"), "2025-01-01")  # retries after 1 s
    assert reader.counts == 2
    assert (result.source, result.raw) == (25, 25)
