"""Retry transient source errors with exponential backoff; a source that stays down fails clearly.

Classification looks at the underlying cause, not just the outer message: connectorx wraps an
access-denied error in "timed out waiting for connection", and a query killed mid-stream arrives
as a Rust panic (`pyo3_runtime.PanicException`, a BaseException that `except Exception` misses).
A MySQL error code in the error (pymysql's first argument, or "ERROR 1045" in a driver message)
decides first; only errors without a known code fall back to message markers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

_TRANSIENT_MARKERS = (
    "can't connect",
    "could not connect",
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
    "query execution was interrupted",
    "connection was killed",
    "server shutdown",
    # a connection dropped mid-stream, as connectorx's MySQL driver reports it
    "io error",
    "ioerror",
    "server disconnected",
    "bytes remaining on stream",
    "unexpected eof",
    "connection aborted",
)

# Errors that no retry can fix: wrong credentials, missing database/table/column, bad SQL, bad data.
_PERMANENT_MARKERS = (
    "access denied",
    "unknown database",
    "doesn't exist",
    "unknown column",
    "syntax error",
    "you have an error in your sql syntax",
    "couldn't convert the value",
    "authentication plugin",
)

# MySQL/MariaDB server and client error codes.
TRANSIENT_CODES = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1205,  # lock wait timeout
        1213,  # deadlock
        1317,  # query execution was interrupted (KILL QUERY)
        1927,  # connection was killed (MariaDB)
        2002,  # can't connect through socket
        2003,  # can't connect to server
        2006,  # server has gone away
        2013,  # lost connection during query
        2055,  # lost connection (system error)
    }
)
PERMANENT_CODES = frozenset(
    {
        1044,  # access denied to database
        1045,  # access denied (wrong user or password)
        1049,  # unknown database
        1054,  # unknown column
        1064,  # syntax error
        1142,  # command denied
        1146,  # table doesn't exist
        1227,  # access denied (privilege)
        1251,  # client does not support the authentication protocol
        1698,  # access denied (auth plugin)
    }
)
_CODE_RE = re.compile(r"\bERROR (\d{4})\b")

# Never swallowed: the process is being stopped.
_NEVER_CAUGHT = (KeyboardInterrupt, SystemExit, GeneratorExit)


class SourceUnavailableError(RuntimeError):
    pass


class SourceReadError(RuntimeError):
    """A driver failure (e.g. a connectorx Rust panic) turned into an ordinary exception with context."""


def is_panic(error: BaseException) -> bool:
    """A Rust panic surfaced through pyo3 (connectorx); the type is not importable, so match by name."""
    return type(error).__name__ == "PanicException"


def error_codes(error: BaseException) -> list[int]:
    """MySQL error codes found in the error and the errors it was raised from, innermost last."""
    codes: list[int] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        args = getattr(current, "args", ())
        if args and isinstance(args[0], int) and 1000 <= args[0] < 3000:
            codes.append(args[0])
        codes.extend(int(c) for c in _CODE_RE.findall(str(current)))
        current = current.__cause__ or current.__context__
    return codes


def is_transient(error: BaseException) -> bool:
    codes = error_codes(error)
    if any(c in PERMANENT_CODES for c in codes):
        return False
    if any(c in TRANSIENT_CODES for c in codes):
        return True
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    text = str(error).lower()
    if any(marker in text for marker in _PERMANENT_MARKERS):
        return False
    return any(marker in text for marker in _TRANSIENT_MARKERS)


def is_permanent(error: BaseException) -> bool:
    """A source error no retry can fix (wrong credentials, unknown table, bad SQL): known by its MySQL
    code, else by its message. Unknown errors are not permanent, so a retry policy still applies to them."""
    codes = error_codes(error)
    if any(c in PERMANENT_CODES for c in codes):
        return True
    if any(c in TRANSIENT_CODES for c in codes):
        return False
    text = str(error).lower()
    return any(marker in text for marker in _PERMANENT_MARKERS)


def with_retries(
    action: Callable[[], T],
    *,
    what: str,
    attempts: int = 4,
    base_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run action; on a transient error wait base_delay * 2**n and retry, up to `attempts` tries.

    A Rust panic is re-raised as SourceReadError (an Exception), so Dagster's retry policy and the
    CLI's error reporting see it like any other failure."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except _NEVER_CAUGHT:
            raise
        except BaseException as caught:
            error: BaseException = caught
            if not isinstance(error, Exception):  # a panic or another BaseException from native code
                error = SourceReadError(f"{what}: the source driver failed: {caught}")
                error.__cause__ = caught
            if not is_transient(error):
                if error is caught:
                    raise
                raise error from caught
            if attempt == attempts:
                raise SourceUnavailableError(
                    f"{what} failed {attempts} times with a transient error; the source looks down. "
                    f"Last error: {error}. Check that the source is reachable, then re-run the partition."
                ) from error
            delay = base_delay * 2 ** (attempt - 1)
            log.warning("%s: transient error (%s); retry %d/%d in %.1fs", what, error, attempt, attempts - 1, delay)
            sleep(delay)
    raise AssertionError("unreachable")
