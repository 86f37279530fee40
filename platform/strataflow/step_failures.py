"""A failed Dagster step, as `strataflow run` / `backfill --in-process` report it: the step's own error
(from its STEP_FAILURE event) goes through the CLI's one-message path (cli_errors.explain), so a wrong
password reads "Access denied" with the fix instead of only "failed steps: ..." and a log to open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Dagster's wrappers around the user's error: the message worth showing is in their cause.
_WRAPPERS = frozenset(
    {"DagsterExecutionStepExecutionError", "RetryRequestedFromPolicy", "DagsterUserCodeExecutionError"}
)
_MYSQL_ERROR = re.compile(r"\((\d{4}), [\"'](.*)[\"']\)", re.DOTALL)
_CLASS_PREFIX = re.compile(r"^[\w.]+(?:Error|Exception|Failure|Warning)\w*: ", re.ASCII)


@dataclass(frozen=True)
class StepFailure:
    step_key: str
    run_id: str
    error: Any  # dagster's SerializableErrorInfo (message, cls_name, cause, context), or None

    def user_error(self) -> Any:
        """The innermost error that is not one of Dagster's wrappers; a `Failure` is already the message."""
        chain = []
        info = self.error
        while info is not None:
            chain.append(info)
            info = info.cause
        failures = [i for i in chain if i.cls_name == "Failure"]
        users = [i for i in chain if i.cls_name not in _WRAPPERS]
        return (failures or users or chain or [None])[0]

    def is_failure(self) -> bool:
        """True if the step raised dagster.Failure (strataflow's own what + "fix:" message)."""
        info = self.user_error()
        return info is not None and info.cls_name == "Failure"

    def message(self) -> str:
        info = self.user_error()
        if info is None:
            return "the step failed (no error recorded)"
        return _CLASS_PREFIX.sub("", info.message.strip(), count=1)

    def mysql_error(self) -> tuple[int, str] | None:
        """(code, text) when the step's error is a MySQL error such as 1045 access denied."""
        info = self.user_error()
        while info is not None:
            if match := _MYSQL_ERROR.search(info.message):
                return int(match.group(1)), match.group(2)
            info = info.cause
        return None


def step_failures(events: Iterable[Any], run_id: str) -> list[StepFailure]:
    """The STEP_FAILURE events among a run's Dagster events, in order."""
    from dagster import DagsterEventType

    return [
        StepFailure(e.step_key or "?", run_id, e.step_failure_data.error if e.step_failure_data else None)
        for e in events
        if e.event_type == DagsterEventType.STEP_FAILURE
    ]


class RunFailedError(RuntimeError):
    """A run failed; explained from its first failed step. The steps' full errors are notes (--debug)."""

    def __init__(self, failures: Sequence[StepFailure], log_path: Path | None = None) -> None:
        self.failures = list(failures)
        self.log_path = log_path
        steps = ", ".join(f.step_key for f in self.failures) or "(none recorded)"
        super().__init__(f"failed steps: {steps}")
        for failure in self.failures:
            if failure.error is not None:
                self.add_note(f"step {failure.step_key} of run {failure.run_id}:\n{failure.error.to_string()}")
