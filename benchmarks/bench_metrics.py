"""Benchmark: metrics-layer query latency on a built DuckDB warehouse (p50/p95 over the queries).

Needs a warehouse built by the dbt project (e.g. `bench_dbt_incremental.py --keep-warehouse`, or the
demo's .strataflow/warehouse.duckdb). Parses the project against that file (the semantic manifest names
its catalog), then runs --repeat rounds of a fixed mix of metric queries through strataflow.metrics
(MetricFlow plans, DuckDB executes) and reports the latency of each query and p50/p95 over all.

    .venv/bin/python benchmarks/bench_metrics.py --warehouse PATH [--repeat 20] [--dbt-project DIR] [--out FILE]

--dbt-project parses another copy of dbt/ (e.g. the definitions before a change, against a warehouse
built by that copy) to compare the two on the same data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

QUERIES = [
    (["revenue", "orders", "average_order_value"], ["metric_time__day"]),
    (["revenue"], ["metric_time__month", "sale__category"]),
    (["active_customers"], ["metric_time__week", "customer__region"]),
    (["return_rate"], ["sale__vendor"]),
    (["revenue_trailing_30d"], ["metric_time__day"]),
    (["net_revenue_retention"], ["metric_time__month", "customer__cohort"]),
    (["units"], ["metric_time__hour"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=20, help="queries in total (cycling through the mix)")
    parser.add_argument("--dbt-project", type=Path, help="dbt project to parse (default: dbt/)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import duckdb
    from dbt.cli.main import dbtRunner

    from strataflow.dbt_runtime import DBT_DIR, patched_environ
    from strataflow.metrics import open_layer

    target = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    env = {"STRATAFLOW_DUCKDB_PATH": str(args.warehouse.resolve()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    project = str(args.dbt_project or DBT_DIR)
    with patched_environ(env):
        argv = ["parse", "--project-dir", project, "--profiles-dir", project, "--target-path", str(target)]
        assert dbtRunner().invoke(argv).success
    conn = duckdb.connect(str(args.warehouse), read_only=True)
    layer = open_layer(target, conn, "duckdb")
    orders = conn.execute("select count(*) from ain.ain_orders").fetchone()[0]
    layer.query(*QUERIES[0])  # warm-up: MetricFlow's first plan builds its lookups
    times: list[tuple[str, float]] = []
    for i in range(args.repeat):
        metrics, group_by = QUERIES[i % len(QUERIES)]
        started = time.perf_counter()
        layer.query(metrics, group_by)
        times.append((f"{','.join(metrics)} by {','.join(group_by)}", time.perf_counter() - started))
    values = sorted(t for _, t in times)
    p95 = values[max(0, round(0.95 * len(values)) - 1)]
    load = os.getloadavg()
    lines = [
        f"# Metrics layer latency: {orders:,} orders, DuckDB, {len(values)} queries",
        "",
        f"p50 {statistics.median(values):.3f} s, p95 {p95:.3f} s, max {values[-1]:.3f} s "
        f"(load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} after the run)",
        "",
        "| query | s |",
        "| --- | --- |",
        *[f"| {name} | {t:.3f} |" for name, t in times],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
