"""The alert message: what failed (or recovered), where, and a link to the run; rendered as text, Slack JSON
and e-mail. Check metadata is read generically: whatever the check recorded about its failing expectations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AlertKind = Literal[
    "check_failed", "check_warned", "check_resolved", "run_failed", "freshness_failed", "freshness_resolved"
]

_HEADLINES = {
    "check_failed": "Check failed",
    "check_warned": "Check passed with failing warn expectations",
    "check_resolved": "Resolved: check passes again",
    "run_failed": "Run failed",
    "freshness_failed": "Asset is stale",
    "freshness_resolved": "Resolved: asset is fresh again",
}
# Keys a check may use for an expectation's name, its column and its count of failing rows.
_NAME_KEYS = ("expectation", "expectation_type", "name", "kind", "type", "check")
_COLUMN_KEYS = ("column", "columns")
_COUNT_KEYS = ("unexpected_count", "failing_rows", "failed_rows", "count", "failures", "observed_value")


@dataclass(frozen=True)
class Alert:
    """One notification. `id` is deterministic (from the event's storage id or the run id), so sending the same
    event twice (a sensor tick re-evaluated after a crash) is recognised and dropped by the outbox."""

    id: str
    kind: AlertKind
    severity: str  # error | warn | info
    asset: str | None = None
    partition: str | None = None
    check: str | None = None
    job: str | None = None
    run_id: str | None = None
    run_url: str | None = None
    description: str | None = None
    expectations: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    occurred_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(**data)

    @property
    def resolved(self) -> bool:
        return self.kind.endswith("_resolved")

    def subject(self) -> str:
        what = " / ".join(p for p in (self.asset, self.check) if p) or (self.job or "")
        where = f" [{self.partition}]" if self.partition else ""
        sev = "" if self.resolved else f"{self.severity.upper()} "
        return f"[strataflow] {sev}{_HEADLINES[self.kind]}: {what}{where}"

    def text(self) -> str:
        lines = [self.subject().removeprefix("[strataflow] ")]
        for label, value in (
            ("asset", self.asset),
            ("partition", self.partition),
            ("check", self.check),
            ("job", self.job),
            ("severity", None if self.resolved else self.severity),
            ("run", self.run_id),
        ):
            if value:
                lines.append(f"{label}: {value}")
        if self.description:
            lines.append(self.description)
        if self.expectations:
            lines.append("failing expectations:")
            lines.extend(f"  - {format_expectation(e)}" for e in self.expectations)
        for key, value in self.details.items():
            lines.append(f"{key}: {_short(value)}")
        if self.run_url:
            lines.append(f"open the run: {self.run_url}")
        return "\n".join(lines)

    def slack_payload(self) -> dict[str, Any]:
        """Slack incoming-webhook JSON (`text` plus a mrkdwn block); the structured alert rides along under
        `strataflow` for receivers that are not Slack."""
        body = self.text()
        if self.run_url:
            body = body.replace(f"open the run: {self.run_url}", f"<{self.run_url}|open the run in Dagster>")
        return {
            "text": self.subject(),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}}],
            "strataflow": self.to_dict(),
        }


def format_expectation(exp: dict[str, Any]) -> str:
    name = exp.get("expectation") or "expectation"
    column = exp.get("column")
    count = exp.get("count")
    text = f"{name}({column})" if column else str(name)
    if count is not None:
        text += f": {count} failing"
    extra = {k: v for k, v in exp.items() if k not in ("expectation", "column", "count")}
    if extra:
        text += " " + _short(extra)
    return text


def failing_expectations(metadata: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Split a check's metadata into failing expectations (rows of a list of dicts, or a {name: count} dict,
    under any key) and the remaining details. Rows marked success/passed true are dropped."""
    expectations: list[dict[str, Any]] = []
    details: dict[str, Any] = {}
    for key, value in metadata.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for row in value:
                if row.get("success") is True or row.get("passed") is True:
                    continue
                expectations.append(_normalise(row, default_name=key))
        elif isinstance(value, dict) and value and "expect" in key.lower():
            for name, count in value.items():
                if isinstance(count, dict):
                    expectations.append(_normalise(count, default_name=name))
                else:
                    expectations.append({"expectation": name, "count": count})
        else:
            details[key] = value
    return expectations, details


def _normalise(row: dict[str, Any], default_name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"expectation": _first(row, _NAME_KEYS) or default_name}
    column = _first(row, _COLUMN_KEYS)
    if column is not None:
        out["column"] = ", ".join(map(str, column)) if isinstance(column, list) else column
    count = _first(row, _COUNT_KEYS)
    if count is not None:
        out["count"] = count
    used = {k for k in (*_NAME_KEYS, *_COLUMN_KEYS, *_COUNT_KEYS) if k in row} | {"success", "passed"}
    out.update({k: v for k, v in row.items() if k not in used})
    return out


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
