"""Shared fixtures: real MariaDB databases, moto's standalone S3 server on loopback, lake storages."""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pymysql
import pytest

REPO = Path(__file__).resolve().parents[1]
# moto accepts any credentials but S3 clients sign nothing without them. Set once at import, so the
# per-module environment restore below keeps them (set inside the session fixture, they vanished at the end of
# whichever module first started the server, and every later S3 test got 403 Access Denied).
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
MYSQL = {
    "host": os.environ.get("STRATAFLOW_TEST_MYSQL_HOST", "127.0.0.1"),
    "port": 3306,
    "user": "root",
    "password": "",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server (a real HTTP endpoint) on loopback."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    name = f"lake-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def _mysql_admin() -> pymysql.connections.Connection:
    return pymysql.connect(**MYSQL, charset="utf8mb4", autocommit=True)


@pytest.fixture
def mysql_db() -> Iterator[str]:
    """A fresh MariaDB database; yields its name and drops it afterwards."""
    name = f"sf_test_{uuid.uuid4().hex[:10]}"
    with _mysql_admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    yield name
    with _mysql_admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def mysql_url(database: str) -> str:
    return f"mysql://{MYSQL['user']}:{MYSQL['password']}@{MYSQL['host']}:{MYSQL['port']}/{database}"


def mysql_connect(database: str) -> pymysql.connections.Connection:
    return pymysql.connect(**MYSQL, database=database, charset="utf8mb4", autocommit=False)


@pytest.fixture(autouse=True, scope="module")
def _environment_restored_per_module() -> Iterator[None]:
    """The demo and `strataflow run` set STRATAFLOW_PARTITIONS, STRATAFLOW_ENV, DAGSTER_HOME... for their own
    process, as a CLI may; in the test process they must not leak into the next module (a narrowed partition
    range made every later module's 2025-01-01 partition unknown)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """One small demo for the session, built as `strataflow demo` builds it, in a fresh home: test_demo checks
    its outcome and summary, test_ui_browser serves it (each build is about a minute of fixed cost). Returns
    the DemoOutcome and the printed progress and summary (not a terminal: the plain lines of CI logs)."""
    from rich.console import Console

    from strataflow.demo_display import Display, render_summary
    from strataflow.demo_runner import DemoSettings, run_demo

    home = tmp_path_factory.mktemp("demo-home")
    saved = dict(os.environ)
    for var in ("DAGSTER_HOME", "STRATAFLOW_HOME", "STRATAFLOW_ENV", "STRATAFLOW_CONFIGS", "STRATAFLOW_PARTITIONS"):
        os.environ.pop(var, None)
    out = io.StringIO()
    console = Console(file=out, width=200)
    try:
        settings = DemoSettings(home=home, scale=200, days=2, change_days=3, start=date(2025, 1, 30))
        outcome = run_demo(settings, Display(console=console))
        render_summary(console, outcome)
    finally:  # the demo sets the environment of its process; here it must not leak into other tests
        os.environ.clear()
        os.environ.update(saved)
    return outcome, out.getvalue()
