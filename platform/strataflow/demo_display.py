"""Live progress of the demo: a rich progress bar per phase on a terminal, plain lines in CI logs,
nothing with --quiet (the summary is printed either way)."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

PHASES = {"source": "source", "lake": "RAW/SRC", "dbt": "dbt models + tests"}


class Display:
    def __init__(self, *, quiet: bool = False, console: Console | None = None) -> None:
        # the stream is taken now: the demo redirects sys.stdout into its log while runs execute
        self.console = console or Console(file=sys.stdout)
        self.quiet = quiet
        self.live = self.console.is_terminal and not quiet
        self.progress = Progress(
            TextColumn("{task.fields[phase]:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}", style="dim"),
            console=self.console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.started = time.monotonic()

    def __enter__(self) -> Display:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live:
            self.progress.stop()

    def start_phase(self, phase: str, description: str, total: int) -> None:
        self.totals[phase], self.done[phase] = total, 0
        if self.live:
            self.tasks[phase] = self.progress.add_task(description, total=total, phase=PHASES[phase])
        else:
            self.line(f"{PHASES[phase]}: {description} ({total} steps)")

    def advance(self, phase: str, item: str) -> None:
        self.done[phase] = self.done.get(phase, 0) + 1
        if self.live:
            self.progress.update(self.tasks[phase], advance=1, description=item)
        elif phase == "source":
            self.line(f"{PHASES[phase]}: {item}")

    def partition_done(self, key: str, assets: int) -> None:
        if not self.live:
            self.line(f"RAW/SRC {key}: {assets} assets materialized [{self.done['lake']}/{self.totals['lake']}]")

    def line(self, text: str) -> None:
        if not self.quiet:
            self.console.print(f"[{time.monotonic() - self.started:5.1f}s] {text}", highlight=False)


def render_summary(console: Console, outcome: Any) -> None:
    """The end-of-demo table: rows per layer, checks, elapsed time, and where to look next."""
    from rich.table import Table

    from strataflow.demo_report import SAMPLE_QUERY

    s, r = outcome.settings, outcome.report
    table = Table(title=f"strataflow demo: {s.start}..{s.last}, {s.scale} orders", show_lines=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("RAW rows extracted", f"{r.raw_rows:,} (lake raw/, {len(s.partition_keys())} partitions)")
    for layer in ("src", "vin", "vlt", "ain", "ana", "mrt"):
        table.add_row(f"{layer.upper()} rows", f"{r.rows.get(layer, 0):,} in {r.tables.get(layer, 0)} tables")
    table.add_row("marts", ", ".join(f"{name} {n:,}" for name, n in sorted(r.marts.items())))
    failed = outcome.checks_failed
    table.add_row(
        "checks",
        f"{outcome.checks_passed} passed, {len(failed)} failed" + (f": {', '.join(failed[:5])}" if failed else ""),
    )
    if outcome.alert_file:
        written = "written" if outcome.alert_file.exists() else "none yet"
        table.add_row("alerts", f"{outcome.alert_file} ({written}; the strataflow_alerts sensor runs in dagster dev)")
    t = outcome.timings
    table.add_row(
        "elapsed",
        f"{t.get('total', 0):.0f}s (definitions {t.get('definitions', 0):.0f}s, source {t.get('source', 0):.0f}s, "
        f"RAW/SRC {t.get('raw_src', 0):.0f}s, dbt {t.get('dbt', 0):.0f}s)",
    )
    env = f"STRATAFLOW_HOME={s.home} {outcome.partition_env} DAGSTER_HOME={outcome.dagster_home}"
    table.add_row("UI", f"{env} uv run dagster dev  ->  http://127.0.0.1:3000 ({len(outcome.run_ids)} runs)")
    table.add_row("warehouse", f"{outcome.warehouse} (duckdb CLI: duckdb -readonly {outcome.warehouse})")
    table.add_row("lake", str(outcome.lake))
    table.add_row("sample query", SAMPLE_QUERY)
    if r.customer_versions:
        cid, versions = r.customer_versions
        table.add_row(
            "SCD2 history",
            f"customer {cid} has {versions} versions: select * from vlt.vlt_sat_customer join vlt.vlt_hub_customer "
            f"using (customer_hk) where customer_id = {cid} order by valid_from",
        )
    if r.deleted_customer is not None:
        table.add_row("soft delete", f"customer {r.deleted_customer}: is_deleted in vlt.vlt_sat_customer")
    if r.deleted_order_item is not None:
        table.add_row("hard delete", f"order item {r.deleted_order_item}: is_deleted in vlt.vlt_sat_order_item")
    if r.late_rows:
        table.add_row(
            "late rows",
            f"{r.late_rows} back-dated changes landed in days already extracted; re-extract them with "
            f"strataflow backfill --from {s.start} --to {s.last}",
        )
    table.add_row("logs", str(s.home / "demo.log"))
    console.print(table)
