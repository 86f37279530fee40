"""Publish alerts to every configured sink through its own outbox; one sink failing never stops the others."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from strataflow.alerts.message import Alert
from strataflow.alerts.outbox import FlushReport, Outbox
from strataflow.alerts.sinks import JsonLinesSink, Sink, SmtpSink, WebhookSink
from strataflow.config.models import AlertsConfig, JsonLinesSinkConfig, SmtpSinkConfig, WebhookSinkConfig


@dataclass
class Dispatcher:
    sinks: list[Sink]
    outboxes: dict[str, Outbox]

    def publish(self, alerts: list[Alert], now: float | None = None) -> dict[str, int]:
        """Write the alerts to every outbox (durable) before anything is sent; returns new alerts per sink."""
        return {sink.name: self.outboxes[sink.name].enqueue(alerts, now) for sink in self.sinks}

    def flush(self, now: float | None = None) -> list[FlushReport]:
        return [self.outboxes[sink.name].flush(sink, now) for sink in self.sinks]


def build_sinks(cfg: AlertsConfig) -> list[Sink]:
    """The sinks that are switched on: a webhook without URL or an SMTP sink without host is off."""
    sinks: list[Sink] = []
    for sink in cfg.sinks:
        if isinstance(sink, JsonLinesSinkConfig):
            sinks.append(JsonLinesSink(sink.name, Path(sink.path)))
        elif isinstance(sink, WebhookSinkConfig) and sink.url.get_secret_value():
            sinks.append(WebhookSink(sink.name, sink.url.get_secret_value(), sink.timeout_s))
        elif isinstance(sink, SmtpSinkConfig) and sink.host:
            sinks.append(
                SmtpSink(
                    sink.name,
                    sink.host,
                    sink.port,
                    sink.sender,
                    list(sink.recipients),
                    sink.security,
                    sink.username,
                    sink.password.get_secret_value(),
                    sink.timeout_s,
                )
            )
    return sinks


def build_dispatcher(cfg: AlertsConfig) -> Dispatcher:
    sinks = build_sinks(cfg)
    directory = Path(os.path.expanduser(cfg.outbox_dir))
    outboxes = {
        s.name: Outbox(directory, s.name, cfg.retry_initial_s, cfg.retry_max_s, cfg.max_attempts) for s in sinks
    }
    return Dispatcher(sinks, outboxes)


def run_url(cfg: AlertsConfig, run_id: str | None) -> str | None:
    return f"{cfg.ui_base_url.rstrip('/')}/runs/{run_id}" if run_id else None
