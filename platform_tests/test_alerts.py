"""Alerting on real parts: a real Dagster instance (SQLite, in a temp dir) with real materializations and
check evaluations; the strataflow_alerts sensor evaluated tick by tick; a webhook server, a JSON-lines file
and an aiosmtpd SMTP server on loopback receive the alerts."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DagsterInstance,
    DailyPartitionsDefinition,
    asset,
    asset_check,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from strataflow.alerts import Alert, Outbox, failing_expectations
from strataflow.config.models import AlertsConfig
from strataflow.defs.alert_sensor import build_alert_sensor

PARTITIONS = DailyPartitionsDefinition(start_date="2024-01-01")
STATE = {"bad_rows": 3}
REPO_CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@asset(key=["src", "shop", "orders"], partitions_def=PARTITIONS)
def orders() -> int:
    return 1


@asset_check(asset=orders, name="ge_suite", blocking=True)
def ge_suite() -> AssetCheckResult:
    bad = STATE["bad_rows"]
    return AssetCheckResult(
        passed=bad == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "expectations": [
                {"expectation": "not_null", "column": "email", "unexpected_count": bad, "success": bad == 0},
                {"expectation": "unique", "column": "order_id", "unexpected_count": 0, "success": True},
            ],
            "rows_checked": 100,
        },
    )


@asset_check(asset=orders, name="quality", blocking=True)
def quality_with_a_warning() -> AssetCheckResult:
    """Shaped like strataflow's quality check: passed (no `error` failed), one `warn` expectation failing."""
    return AssetCheckResult(
        passed=True,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "failed_errors": 0,
            "failed_warnings": 1,
            "failures": [{"expectation": "regex", "column": "email", "unexpected_count": 2, "success": False}],
        },
    )


@asset(key=["mrt", "broken"])
def broken() -> None:
    raise RuntimeError("the warehouse went away")


class Webhook:
    """A loopback HTTP server recording JSON posts; answers 500 to the first `fail_first` posts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail_first = fail_first
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.attempts += 1
                if hook.attempts <= hook.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                hook.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as inst:
        yield inst


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def _config(tmp_path: Path, webhook: Webhook, smtp_port: int | None = None, retry_s: float = 30.0) -> AlertsConfig:
    sinks: list[dict[str, Any]] = [
        {"kind": "jsonl", "path": str(tmp_path / "alerts.jsonl")},
        {"kind": "webhook", "url": webhook.url, "timeout_s": 5},
    ]
    if smtp_port:
        sinks.append({"kind": "smtp", "host": "127.0.0.1", "port": smtp_port, "recipients": "oncall@example.com"})
    return AlertsConfig.model_validate(
        {
            "ui_base_url": "http://dagster.example:3000/",
            "outbox_dir": str(tmp_path / "outbox"),
            "sinks": sinks,
            "retry_initial_s": retry_s,
        }
    )


def _tick(cfg: AlertsConfig, instance: DagsterInstance, cursor: str | None) -> str | None:
    """One sensor evaluation, as the daemon does it: a fresh sensor object, the stored cursor."""
    data = build_alert_sensor(cfg).evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))
    assert not data.run_requests
    return data.cursor


def _jsonl(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_one_alert_per_failure_across_ticks_and_restart_then_one_resolved(
    tmp_path: Path, instance: DagsterInstance, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, smtp_port = smtp
    hook = Webhook()
    cfg = _config(tmp_path, hook, smtp_port)
    try:
        cursor = _tick(cfg, instance, None)  # nothing has happened yet
        assert hook.received == []

        STATE["bad_rows"] = 3
        failed = materialize([orders, ge_suite], instance=instance, partition_key="2024-01-02", raise_on_error=False)
        assert not failed.success  # the blocking check failed the run
        before_alert = cursor
        for _ in range(3):
            cursor = _tick(cfg, instance, cursor)
        # A restart from the cursor, and a re-run of the tick whose cursor was never saved (crash): no repeat.
        cursor = _tick(cfg, instance, cursor)
        _tick(cfg, instance, before_alert)

        assert len(hook.received) == 1, hook.received
        alert = hook.received[0]["strataflow"]
        assert alert["kind"] == "check_failed" and alert["severity"] == "error"
        assert (alert["asset"], alert["partition"], alert["check"]) == ("src/shop/orders", "2024-01-02", "ge_suite")
        assert alert["expectations"] == [{"expectation": "not_null", "column": "email", "count": 3}]
        assert alert["run_id"] == failed.run_id
        assert alert["run_url"] == f"http://dagster.example:3000/runs/{failed.run_id}"
        text = hook.received[0]["blocks"][0]["text"]["text"]
        assert "not_null(email): 3 failing" in text and "2024-01-02" in text
        assert "Check failed" in hook.received[0]["text"]

        STATE["bad_rows"] = 0
        fixed = materialize([orders, ge_suite], instance=instance, partition_key="2024-01-02")
        cursor = _tick(cfg, instance, cursor)
        cursor = _tick(cfg, instance, cursor)
        assert [h["strataflow"]["kind"] for h in hook.received] == ["check_failed", "check_resolved"]
        assert hook.received[1]["strataflow"]["run_id"] == fixed.run_id

        assert [(a["kind"], a["run_id"]) for a in _jsonl(tmp_path)] == [
            ("check_failed", failed.run_id),
            ("check_resolved", fixed.run_id),
        ]
        subjects = [m["Subject"] for m in mailbox.messages]
        assert len(subjects) == 2 and "ERROR Check failed: src/shop/orders / ge_suite [2024-01-02]" in subjects[0]
        assert "not_null(email): 3 failing" in mailbox.messages[0].get_payload()
        assert "Resolved" in subjects[1]
    finally:
        hook.close()


def test_webhook_500_is_retried_then_delivered_once_and_other_sinks_are_not_blocked(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    hook = Webhook(fail_first=1)
    cfg = _config(tmp_path, hook, retry_s=0.0)
    try:
        cursor = _tick(cfg, instance, None)
        run = materialize([broken], instance=instance, raise_on_error=False)
        cursor = _tick(cfg, instance, cursor)
        assert hook.attempts == 1 and hook.received == []  # 500: kept in the webhook's outbox
        assert [a["kind"] for a in _jsonl(tmp_path)] == ["run_failed"]  # the file sink was not held up
        assert len(Outbox(tmp_path / "outbox", "webhook").pending()) == 1
        for _ in range(3):
            cursor = _tick(cfg, instance, cursor)
        assert hook.attempts == 2 and len(hook.received) == 1
        alert = hook.received[0]["strataflow"]
        assert alert["kind"] == "run_failed" and alert["run_id"] == run.run_id
        assert "the warehouse went away" in alert["details"]["error"]
        assert len(_jsonl(tmp_path)) == 1
    finally:
        hook.close()


def test_backoff_waits_before_retrying(tmp_path: Path) -> None:
    class Down:
        name = "down"
        calls = 0

        def send(self, alert: Alert) -> None:
            Down.calls += 1
            raise ConnectionError("refused")

    box = Outbox(tmp_path, "down", retry_initial_s=30, retry_max_s=100)
    box.enqueue([Alert(id="a1", kind="run_failed", severity="error")], now=0)
    box.enqueue([Alert(id="a1", kind="run_failed", severity="error")], now=0)  # same id: ignored
    assert box.flush(Down(), now=0).failed == ["a1"]
    assert box.flush(Down(), now=10).failed == []  # within the 30 s backoff
    box.flush(Down(), now=31)
    assert Down.calls == 2 and box.pending()[0]["next_at"] == 31 + 60


def test_failing_expectations_are_read_from_any_metadata_shape() -> None:
    exps, details = failing_expectations(
        {
            "failed_expectations": {"expect_column_values_to_not_be_null": 4},
            "results": [{"expectation_type": "expect_x", "columns": ["a", "b"], "failing_rows": 2}],
            "rows": 10,
        }
    )
    assert exps == [
        {"expectation": "expect_column_values_to_not_be_null", "count": 4},
        {"expectation": "expect_x", "column": "a, b", "count": 2},
    ]
    assert details == {"rows": 10}
    # The quality gate's shape (strataflow.quality.results.ExpectationResult.to_dict()).
    exps, _ = failing_expectations(
        {
            "failures": [
                {
                    "name": "not_null(email)",
                    "kind": "not_null",
                    "severity": "error",
                    "success": False,
                    "unexpected_count": 2,
                    "unexpected_percent": 20.0,
                    "observed": None,
                    "sample": [],
                    "note": None,
                }
            ]
        }
    )
    assert exps[0]["expectation"] == "not_null(email)" and exps[0]["count"] == 2


def test_platform_yaml_alerts_default_to_the_jsonl_file_and_reject_a_literal_webhook_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from strataflow.alerts import build_sinks
    from strataflow.config import ConfigError, load_project

    for var in ("STRATAFLOW_ALERT_WEBHOOK_URL", "STRATAFLOW_SMTP_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STRATAFLOW_HOME", str(tmp_path))
    alerts = load_project(REPO_CONFIGS, "local").environment.alerts
    assert [s.name for s in build_sinks(alerts)] == ["jsonl"]  # webhook and mail are off until configured
    monkeypatch.setenv("STRATAFLOW_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("STRATAFLOW_SMTP_HOST", "127.0.0.1")
    alerts = load_project(REPO_CONFIGS, "local").environment.alerts
    assert [s.name for s in build_sinks(alerts)] == ["jsonl", "webhook", "smtp"]

    configs = tmp_path / "configs"
    (configs / "sources").mkdir(parents=True)
    text = (REPO_CONFIGS / "platform.yaml").read_text()
    text = text.replace("url: ${STRATAFLOW_ALERT_WEBHOOK_URL:-}", "url: https://hooks.example/T000/secret", 1)
    (configs / "platform.yaml").write_text(text)
    with pytest.raises(ConfigError, match="secrets must not be written"):
        load_project(configs, "local")


def test_a_failing_warn_expectation_alerts_once_and_does_not_block(tmp_path: Path, instance: DagsterInstance) -> None:
    hook = Webhook()
    cfg = _config(tmp_path, hook)
    try:
        cursor = _tick(cfg, instance, None)
        run = materialize([orders, quality_with_a_warning], instance=instance, partition_key="2024-01-03")
        assert run.success  # a warning never blocks
        cursor = _tick(cfg, instance, cursor)
        _tick(cfg, instance, cursor)
        assert [h["strataflow"]["kind"] for h in hook.received] == ["check_warned"]
        alert = hook.received[0]["strataflow"]
        assert alert["severity"] == "warn" and alert["check"] == "quality"
        assert alert["expectations"] == [{"expectation": "regex", "column": "email", "count": 2}]
    finally:
        hook.close()
