"""One clear message per operational error of the CLI (what failed, where, how to fix it); `--debug`
(or STRATAFLOW_DEBUG=1) shows the traceback instead.

A Python traceback is the right report for a bug in strataflow, not for a wrong password, a missing
file or a source that is down: those are the user's to fix, and the message must say how.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click

from strataflow.config import ConfigError
from strataflow.extract.retry import PERMANENT_CODES, error_codes, is_panic
from strataflow.step_failures import RunFailedError


@dataclass(frozen=True)
class Explained:
    what: str
    where: str | None
    fix: str

    def render(self) -> str:
        lines = [f"Error: {self.what}"]
        if self.where:
            lines.append(f"  where: {self.where}")
        lines.append(f"  fix:   {self.fix}")
        return "\n".join(lines)


_MYSQL_FIXES = {
    1044: "grant the user access to the database, or connect as another user",
    1045: "check the source's user and password (the environment variable its password: ${...} names)",
    1049: "check the database name of the source in configs/platform.yaml",
    2003: "check that the MySQL server is running and that host and port are right",
    2005: "check the host name of the source in configs/platform.yaml",
}


def explain(error: BaseException, command: str) -> Explained:
    """Turn an exception into what/where/fix; unknown errors still get one line and the --debug hint."""
    where = f"strataflow {command}" if command else None
    if isinstance(error, ConfigError):
        return Explained("invalid configuration:\n" + str(error), None, "edit the file and key named above")
    if isinstance(error, RunFailedError):
        return _explain_run(error, where)
    if is_panic(error):  # pyo3's PanicException: a BaseException from native code (connectorx, polars)
        first_line = (str(error).strip().splitlines() or [""])[0]
        return Explained(
            f"a native driver failed (Rust panic): {first_line}",
            where,
            "often a value the driver cannot convert (e.g. a zero date); add --debug to see the traceback",
        )
    code = _mysql_code(error)
    if code is not None:
        fix = _mysql_fix(code)
        return Explained(f"the MySQL source refused the connection: {_args_text(error)}", where, fix)
    module = type(error).__module__ or ""
    if module.startswith("psycopg"):
        return Explained(
            f"PostgreSQL: {str(error).strip()}", where, "check the warehouse's connection settings and that it runs"
        )
    if module.startswith(("duckdb", "_duckdb")):
        return Explained(f"DuckDB: {error}", where, "check the warehouse path; close other processes using the file")
    if isinstance(error, FileNotFoundError):
        return Explained(f"file not found: {error.filename or error}", where, "check the path, or create the file")
    if isinstance(error, PermissionError):
        return Explained(f"permission denied: {error.filename or error}", where, "check the file's permissions")
    text = str(error).strip() or type(error).__name__
    if "fix" in text.lower() or "re-run" in text.lower():  # strataflow's own errors already say how to fix
        return Explained(text, where, "as described above; add --debug for the traceback")
    return Explained(f"{type(error).__name__}: {text}", where, "add --debug to see the traceback")


def _explain_run(error: RunFailedError, where: str | None) -> Explained:
    """A failed Dagster run, from its first failed step's recorded error."""
    log = f"the log {error.log_path}" if error.log_path else "the run's logs"
    if not error.failures:
        return Explained("the run failed; no step failure was recorded", where, f"see {log} or the Dagster UI")
    failure = error.failures[0]
    where = f"step {failure.step_key} of run {failure.run_id}" + (f" ({where})" if where else "")
    message = failure.message()
    if failure.is_failure() and "\nfix: " in message:
        what, fix = message.split("\nfix: ", 1)
        return Explained(what, where, fix)
    if (mysql := failure.mysql_error()) is not None:
        code, text = mysql
        fix = _mysql_fix(code)
        return Explained(f"the MySQL source refused the connection: {text}", where, fix)
    fix = f"see {log} or the run in the Dagster UI; --debug prints the step's traceback"
    if "fix" in message.lower() or "re-run" in message.lower():
        fix = "as described above; " + fix
    return Explained(message, where, fix)


def _mysql_fix(code: int) -> str:
    return _MYSQL_FIXES.get(code, "check the source's connection settings in configs/platform.yaml")


def _mysql_code(error: BaseException) -> int | None:
    if not type(error).__module__.startswith("pymysql"):
        # a driver's wrapper (connectorx: "timed out waiting for connection ... ERROR 1045")
        return next((c for c in error_codes(error) if c in PERMANENT_CODES), None)
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _args_text(error: BaseException) -> str:
    args = getattr(error, "args", ())
    return str(args[1]) if len(args) > 1 else str(error)


class FriendlyErrorGroup(click.Group):
    """A click group whose commands report operational errors as one clear message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as error:  # not only Exception: a Rust panic (pyo3) is a BaseException
            if ctx.params.get("debug"):
                raise
            command = ctx.invoked_subcommand or ""
            click.echo(explain(error, command).render(), err=True)
            sys.exit(1)
