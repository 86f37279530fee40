"""Alert sinks: a JSON-lines file, a Slack-compatible webhook and SMTP mail. `send` raises on failure; retrying
is the outbox's job, so a sink stays a plain, testable delivery of one message."""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from strataflow.alerts.message import Alert


class DeliveryError(RuntimeError):
    """The sink could not take the alert now; the outbox retries it later."""


class Sink(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


@dataclass
class JsonLinesSink:
    name: str
    path: Path

    def send(self, alert: Alert) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**alert.to_dict(), "text": alert.text()}, default=str, sort_keys=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())


@dataclass
class WebhookSink:
    """POSTs the Slack payload; any non-2xx answer or network error is a DeliveryError. The URL is never put
    in an error message (it usually holds a token)."""

    name: str
    url: str
    timeout_s: float = 10.0

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert.slack_payload(), default=str).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as err:
            raise DeliveryError(f"webhook answered HTTP {err.code}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise DeliveryError(f"webhook unreachable: {type(reason).__name__}: {reason}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"webhook answered HTTP {status}")


@dataclass
class SmtpSink:
    name: str
    host: str
    port: int
    sender: str
    recipients: list[str]
    security: str = "none"  # none | starttls | ssl
    username: str = ""
    password: str = ""
    timeout_s: float = 10.0

    def message(self, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = alert.subject()
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["X-Strataflow-Alert-Id"] = alert.id
        msg.set_content(alert.text())
        return msg

    def send(self, alert: Alert) -> None:
        if not self.recipients:
            raise DeliveryError("smtp sink has no recipients (set recipients: / STRATAFLOW_ALERT_EMAILS)")
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(self.message(alert))
        except (smtplib.SMTPException, OSError) as err:
            raise DeliveryError(f"smtp {self.host}:{self.port}: {type(err).__name__}: {err}") from None
