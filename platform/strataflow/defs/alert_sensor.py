"""The strataflow_alerts sensor: turns failed asset checks (with their severity), failed runs and freshness
failures in the instance's event log into alerts, exactly one per failure, and one "resolved" when a failing
check passes again.

Its position is the event log storage id of the last event handled, kept in the sensor cursor together with
the checks that are failing; so a daemon restart resumes where it stopped. Alerts are written to each
sink's outbox (strataflow.alerts) before the cursor moves, and the outbox ignores alert ids it has seen: a
tick re-run after a crash does not send twice, a sink that is down gets them on a later tick."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EventLogRecord,
    EventRecordsFilter,
    MarkdownMetadataValue,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

from strataflow.alerts import Alert, Dispatcher, build_dispatcher, failing_expectations, run_url
from strataflow.config.models import AlertsConfig

SENSOR_NAME = "strataflow_alerts"
BATCH = 500
FAILING_KEPT = 5000
CHECK_RUNS_KEPT = 500
EVENT_TYPES = (
    DagsterEventType.ASSET_CHECK_EVALUATION,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.FRESHNESS_STATE_CHANGE,
)


@dataclass
class AlertCursor:
    """after: storage id of the last handled event (None before the first tick). failing: episode key ->
    alert id of the failure not yet resolved. check_runs: runs whose failure a blocking check's alert
    already reported (their run-failure alert would say the same thing twice)."""

    after: int | None = None
    failing: dict[str, str] = field(default_factory=dict)
    check_runs: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: str | None) -> AlertCursor:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(data.get("after"), dict(data.get("failing", {})), list(data.get("check_runs", [])))

    def dump(self) -> str:
        failing = dict(list(self.failing.items())[-FAILING_KEPT:])
        return json.dumps(
            {"after": self.after, "failing": failing, "check_runs": self.check_runs[-CHECK_RUNS_KEPT:]},
            sort_keys=True,
        )


def fetch_events(
    instance: DagsterInstance, after: int | None, after_timestamp: float | None
) -> tuple[list[EventLogRecord], int | None]:
    """The watched events after `after`, in storage-id order, and the new position.

    Read through the SQL storage's cross-run index (on the default run-sharded SQLite storage, run-status,
    asset and check events are mirrored there with one id sequence; on PostgreSQL it is the one table)."""
    storage = instance.event_log_storage
    batches: list[Sequence[EventLogRecord]] = []
    for event_type in EVENT_TYPES:
        records_filter = EventRecordsFilter(
            event_type,
            after_cursor=after,
            after_timestamp=after_timestamp if after is None else None,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if isinstance(storage, SqlEventLogStorage):
                batch = SqlEventLogStorage.get_event_records(storage, records_filter, limit=BATCH, ascending=True)
            else:
                batch = storage.get_event_records(records_filter, limit=BATCH, ascending=True)
        batches.append(batch)
    # A full batch may have more behind it: handle only up to the lowest last id among full batches.
    bounds = [b[-1].storage_id for b in batches if len(b) >= BATCH]
    bound = min(bounds) if bounds else None
    kept = (r for b in batches for r in b if bound is None or r.storage_id <= bound)
    records = sorted(kept, key=lambda r: r.storage_id)
    position = bound if bound is not None else max((r.storage_id for r in records), default=after)
    if position is None:  # first tick with nothing to report: start from the newest event there is
        position = latest_storage_id(instance)
    return records, position


def latest_storage_id(instance: DagsterInstance) -> int | None:
    ids = []
    for event_type in EVENT_TYPES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            storage = instance.event_log_storage
            f = EventRecordsFilter(event_type)
            if isinstance(storage, SqlEventLogStorage):
                recs = SqlEventLogStorage.get_event_records(storage, f, limit=1, ascending=False)
            else:
                recs = storage.get_event_records(f, limit=1, ascending=False)
        ids.extend(r.storage_id for r in recs)
    return max(ids, default=None)


def _plain(value: Any) -> Any:
    """A metadata value as JSON-able plain data."""
    raw = getattr(value, "value", value)
    if isinstance(raw, (str, int, float, bool)) or raw is None:
        return raw
    try:
        json.dumps(raw)
        return raw
    except TypeError:
        return str(raw)


def _error_text(error: Any, limit: int = 1000) -> str:
    """The error's message and its causes' (Dagster wraps the user's exception in a step error)."""
    parts = []
    while error is not None and len(parts) < 5:
        parts.append(error.message.strip())
        error = error.cause
    return " <- caused by: ".join(parts)[:limit]


class AlertBuilder:
    """Turns event records into Alerts, updating the cursor's failing episodes."""

    def __init__(self, instance: DagsterInstance, cfg: AlertsConfig, cursor: AlertCursor) -> None:
        self.instance = instance
        self.cfg = cfg
        self.cursor = cursor
        self._runs: dict[str, Any] = {}

    def _run_tags(self, run_id: str | None) -> tuple[str | None, dict[str, str]]:
        if not run_id:
            return None, {}
        if run_id not in self._runs:
            self._runs[run_id] = self.instance.get_run_by_id(run_id)
        run = self._runs[run_id]
        return (run.job_name, dict(run.tags)) if run else (None, {})

    def build(self, records: list[EventLogRecord]) -> list[Alert]:
        alerts: list[Alert] = []
        for record in records:
            event = record.event_log_entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                alert = self._check(record, event.event_specific_data)
            elif event.event_type == DagsterEventType.RUN_FAILURE:
                alert = self._run_failure(record)
            else:
                alert = self._freshness(record, event.event_specific_data)
            if alert:
                alerts.append(alert)
        return alerts

    def _check(self, record: EventLogRecord, ev: AssetCheckEvaluation) -> Alert | None:
        run_id = record.event_log_entry.run_id or None
        job, tags = self._run_tags(run_id)
        partition = ev.partition or tags.get("dagster/partition")
        asset = ev.asset_key.to_user_string()
        episode = f"check|{asset}|{ev.check_name}|{partition or ''}"
        common = dict(asset=asset, partition=partition, check=ev.check_name, job=job, run_id=run_id)
        common["run_url"] = run_url(self.cfg, run_id)
        if ev.passed:
            failed_id = self.cursor.failing.pop(episode, None)
            if failed_id is None:
                return self._warned(record, ev, common)
            return Alert(
                id=f"check-resolved-{record.storage_id}",
                kind="check_resolved",
                severity="info",
                description=f"passes again (failure alert {failed_id})",
                occurred_at=record.timestamp,
                **common,
            )
        if ev.blocking and run_id:
            self.cursor.check_runs.append(run_id)
        if episode in self.cursor.failing:  # still failing: the open alert covers it
            return None
        alert_id = f"check-failed-{record.storage_id}"
        self.cursor.failing[episode] = alert_id
        # Markdown tables repeat the structured entries for the UI; an alert carries the data once.
        plain = {k: _plain(v) for k, v in ev.metadata.items() if not isinstance(v, MarkdownMetadataValue)}
        expectations, details = failing_expectations(plain)
        if ev.blocking:
            details = {"blocking": True, **details}
        return Alert(
            id=alert_id,
            kind="check_failed",
            severity=ev.severity.value.lower(),
            description=ev.description,
            expectations=expectations,
            details=details,
            occurred_at=record.timestamp,
            **common,
        )

    def _warned(self, record: EventLogRecord, ev: AssetCheckEvaluation, common: dict[str, Any]) -> Alert | None:
        """A passing check whose `warn` expectations failed (quality's `failed_warnings`): recorded and
        alerted once per evaluation, never blocking (the check passed, so automation goes on)."""
        plain = {k: _plain(v) for k, v in ev.metadata.items() if not isinstance(v, MarkdownMetadataValue)}
        if not plain.get("failed_warnings"):
            return None
        expectations, details = failing_expectations(plain)
        return Alert(
            id=f"check-warned-{record.storage_id}",
            kind="check_warned",
            severity="warn",
            description=ev.description,
            expectations=expectations,
            details=details,
            occurred_at=record.timestamp,
            **common,
        )

    def _run_failure(self, record: EventLogRecord) -> Alert | None:
        run_id = record.event_log_entry.run_id
        if run_id in self.cursor.check_runs:
            return None
        job, tags = self._run_tags(run_id)
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event else None
        details: dict[str, Any] = {}
        step_event = getattr(data, "first_step_failure_event", None)
        if step_event is not None:
            details["failed_step"] = step_event.step_key
        error = getattr(getattr(step_event, "event_specific_data", None), "error", None) or getattr(data, "error", None)
        if error is not None:
            details["error"] = _error_text(error)
        reason = getattr(data, "failure_reason", None)
        if reason is not None:
            details["failure_reason"] = getattr(reason, "value", str(reason))
        return Alert(
            id=f"run-failed-{run_id}",
            kind="run_failed",
            severity="error",
            job=job,
            partition=tags.get("dagster/partition"),
            run_id=run_id,
            run_url=run_url(self.cfg, run_id),
            description=event.message if event else None,
            details=details,
            occurred_at=record.timestamp,
        )

    def _freshness(self, record: EventLogRecord, change: Any) -> Alert | None:
        asset = change.key.to_user_string()
        episode = f"freshness|{asset}"
        state = getattr(change.new_state, "value", str(change.new_state))
        if state in ("FAIL", "WARN"):
            if episode in self.cursor.failing:
                return None
            alert_id = f"freshness-failed-{record.storage_id}"
            self.cursor.failing[episode] = alert_id
            return Alert(
                id=alert_id,
                kind="freshness_failed",
                severity="error" if state == "FAIL" else "warn",
                asset=asset,
                description=f"freshness state {state} (was {getattr(change.previous_state, 'value', '')})",
                occurred_at=record.timestamp,
            )
        if state == "PASS" and (failed_id := self.cursor.failing.pop(episode, None)):
            return Alert(
                id=f"freshness-resolved-{record.storage_id}",
                kind="freshness_resolved",
                severity="info",
                asset=asset,
                description=f"fresh again (failure alert {failed_id})",
                occurred_at=record.timestamp,
            )
        return None


def evaluate_alerts(
    instance: DagsterInstance, cfg: AlertsConfig, dispatcher: Dispatcher, raw_cursor: str | None, now: float
) -> tuple[str, list[Alert], list[Any]]:
    """One tick: read new events, publish their alerts to the outboxes, try the due deliveries."""
    cursor = AlertCursor.parse(raw_cursor)
    after_ts = now - cfg.initial_lookback_hours * 3600 if cursor.after is None else None
    records, position = fetch_events(instance, cursor.after, after_ts)
    alerts = AlertBuilder(instance, cfg, cursor).build(records)
    dispatcher.publish(alerts, now)
    reports = dispatcher.flush(now)
    cursor.after = position
    return cursor.dump(), alerts, reports


def build_alert_sensor(cfg: AlertsConfig, minimum_interval_seconds: int = 30) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Alerts on failed asset checks, failed runs and stale assets (configs/platform.yaml alerts:).",
    )
    def _alerts(context: SensorEvaluationContext) -> SkipReason:
        dispatcher = build_dispatcher(cfg)
        cursor, alerts, reports = evaluate_alerts(context.instance, cfg, dispatcher, context.cursor, time.time())
        context.update_cursor(cursor)
        parts = [f"{len(alerts)} new alert(s)"]
        for report in reports:
            parts.append(f"{report.sink}: {len(report.delivered)} sent, {report.pending} waiting")
            if report.last_error:
                context.log.warning("alert sink %s: %s (retried later)", report.sink, report.last_error)
        return SkipReason("; ".join(parts))

    return _alerts
