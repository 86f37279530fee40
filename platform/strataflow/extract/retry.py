"""Retry transient source errors with exponential backoff; a source that stays down fails clearly."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

_TRANSIENT_MARKERS = (
    "can't connect",
    "connection refused",
    "lost connection",
    "server has gone away",
    "timed out",
    "timeout",
    "deadlock",
    "lock wait",
    "too many connections",
    "connection reset",
    "broken pipe",
    "database is locked",
    "error communicating",
)


class SourceUnavailableError(RuntimeError):
    pass


def is_transient(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    text = str(error).lower()
    return any(marker in text for marker in _TRANSIENT_MARKERS)


def with_retries(
    action: Callable[[], T],
    *,
    what: str,
    attempts: int = 4,
    base_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run action; on a transient error wait base_delay * 2**n and retry, up to `attempts` tries."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as error:
            if not is_transient(error):
                raise
            if attempt == attempts:
                raise SourceUnavailableError(
                    f"{what} failed {attempts} times with a transient error; the source looks down. "
                    f"Last error: {error}. Check that the source is reachable, then re-run the partition."
                ) from error
            delay = base_delay * 2 ** (attempt - 1)
            log.warning("%s: transient error (%s); retry %d/%d in %.1fs", what, error, attempt, attempts - 1, delay)
            sleep(delay)
    raise AssertionError("unreachable")
