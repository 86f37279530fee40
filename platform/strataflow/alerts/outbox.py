"""A durable outbox per sink: alerts are written to disk before delivery, delivered in order, and retried
with exponential backoff on later ticks while the sink is down. Alert ids already queued or sent are
ignored, so re-publishing the same events (a tick re-run after a crash) never sends twice."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strataflow.alerts.message import Alert
from strataflow.alerts.sinks import Sink

SENT_IDS_KEPT = 10_000


@dataclass
class FlushReport:
    sink: str
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    pending: int = 0
    last_error: str | None = None


@dataclass
class Outbox:
    """State in `<dir>/<sink>.json`, replaced atomically (write a temp file, then rename)."""

    directory: Path
    sink_name: str
    retry_initial_s: float = 30.0
    retry_max_s: float = 3600.0
    max_attempts: int = 100

    @property
    def path(self) -> Path:
        return self.directory / f"{self.sink_name}.json"

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"pending": [], "sent": [], "dead": []}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self, state: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        state["sent"] = state["sent"][-SENT_IDS_KEPT:]
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{self.sink_name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def enqueue(self, alerts: list[Alert], now: float | None = None) -> int:
        """Queue the alerts not seen before; returns how many were new."""
        now = time.time() if now is None else now
        state = self._load()
        known = set(state["sent"]) | {p["alert"]["id"] for p in state["pending"]} | set(state.get("dead", []))
        new = [a for a in alerts if a.id not in known]
        for alert in new:
            state["pending"].append({"alert": alert.to_dict(), "attempts": 0, "next_at": now, "last_error": None})
            known.add(alert.id)
        if new:
            self._save(state)
        return len(new)

    def pending(self) -> list[dict[str, Any]]:
        return self._load()["pending"]

    def flush(self, sink: Sink, now: float | None = None) -> FlushReport:
        """Deliver the due alerts in order. After the first failure the rest wait too (the sink is down), and
        the failed one is retried after retry_initial_s * 2**attempts (at most retry_max_s)."""
        now = time.time() if now is None else now
        state = self._load()
        report = FlushReport(sink=self.sink_name)
        pending: list[dict[str, Any]] = state["pending"]
        i = 0
        while i < len(pending):
            item = pending[i]
            if item["next_at"] > now:
                i += 1
                continue
            alert = Alert.from_dict(item["alert"])
            try:
                sink.send(alert)
            except Exception as err:
                item["attempts"] += 1
                item["last_error"] = str(err)[:500]
                report.last_error = item["last_error"]
                if item["attempts"] >= self.max_attempts:
                    pending.pop(i)
                    state.setdefault("dead", []).append(alert.id)
                    report.dropped.append(alert.id)
                else:
                    delay = min(self.retry_max_s, self.retry_initial_s * 2 ** (item["attempts"] - 1))
                    item["next_at"] = now + delay
                    report.failed.append(alert.id)
                self._save(state)
                break  # the sink is down: the rest waits for a later tick
            pending.pop(i)
            state["sent"].append(alert.id)
            report.delivered.append(alert.id)
            self._save(state)  # after every delivery: a crash right after sending must not send it again
        report.pending = len(pending)
        return report
