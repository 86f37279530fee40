"""Alerting: the message, its sinks (JSON lines, webhook, SMTP) and a durable outbox per sink. No Dagster here:
the sensor in strataflow.defs.alert_sensor turns Dagster events into Alerts and hands them to a Dispatcher."""

from strataflow.alerts.dispatch import Dispatcher, build_dispatcher, build_sinks, run_url
from strataflow.alerts.message import Alert, failing_expectations, format_expectation
from strataflow.alerts.outbox import FlushReport, Outbox
from strataflow.alerts.sinks import DeliveryError, JsonLinesSink, SmtpSink, WebhookSink

__all__ = [
    "Alert",
    "DeliveryError",
    "Dispatcher",
    "FlushReport",
    "JsonLinesSink",
    "Outbox",
    "SmtpSink",
    "WebhookSink",
    "build_dispatcher",
    "build_sinks",
    "failing_expectations",
    "format_expectation",
    "run_url",
]
