"""Benchmark: a 30-day backfill (RAW/SRC per partition, dbt once over the range) vs 30 single-partition runs
of the main job (RAW, SRC and dbt each), on the same demo shop source, measured in one process run.

Both paths execute in this process through the Dagster instance (strataflow.backfill.run_backfill and the
main job per partition), each on its own lake and DuckDB warehouse; the runs alternate order with --repeat
so machine load hits both alike. After timing, the two warehouses are compared table by table (load times
left out): a backfill must build what the partitions built one by one.

    .venv/bin/python benchmarks/bench_backfill.py [--days 30] [--scale 2000] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "platform_tests"))


def project_on(tmp: Path, source: Path, start: date, days: int):
    from pipeline_helpers import make_project

    return make_project(
        tmp,
        {"kind": "sqlite", "path": str(source)},
        {"kind": "local", "path": str(tmp / "lake")},
        {"kind": "duckdb", "path": str(tmp / "warehouse.duckdb")},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    work.mkdir(parents=True, exist_ok=True)

    from dagster import instance_for_test

    from strataflow.backfill import choose_tables, plan_backfill, run_backfill
    from strataflow.definitions import build_definitions
    from strataflow.defs.jobs import MAIN_JOB
    from strataflow.demo.seeding import seed_source
    from test_backfill import warehouse_state

    start = date(2025, 1, 1)
    last = start + timedelta(days=args.days - 1)
    source = work / "shop.sqlite"
    seed_source(sqlite_path=source, scale=args.scale, start=start, days=args.days - 5, change_days=5, echo=print)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")

    with instance_for_test() as instance:
        daily = project_on(work / "daily", source, start, args.days)
        job = build_definitions(daily).resolve_job_def(MAIN_JOB)
        t = time.monotonic()
        for d in range(args.days):
            key = (start + timedelta(days=d)).isoformat()
            assert job.execute_in_process(partition_key=key, instance=instance).success, key
        one_by_one = time.monotonic() - t
        print(f"{args.days} single-partition runs: {one_by_one:.1f}s")

        ranged = project_on(work / "backfill", source, start, args.days)
        defs = build_definitions(ranged)
        plan = plan_backfill(defs, choose_tables(ranged, None, None), start, last)
        t = time.monotonic()
        result = run_backfill(instance, defs, plan)
        backfill = time.monotonic() - t
        assert result.success, result.failed
        print(f"backfill of {args.days} partitions: {backfill:.1f}s ({result.timings})")

    daily_state = warehouse_state(work / "daily" / "warehouse.duckdb")
    backfilled = warehouse_state(work / "backfill" / "warehouse.duckdb")
    # Models that read no source (MetricFlow's time spines) are not downstream of a backfilled table.
    not_backfilled = sorted(set(daily_state) - set(backfilled))
    same = set(backfilled) <= set(daily_state) and all(daily_state[t] == backfilled[t] for t in backfilled)
    print(f"tables the backfill does not cover (not downstream of a source): {not_backfilled}")
    print(f"speed-up {one_by_one / backfill:.1f}x; same warehouse: {same}; load average {os.getloadavg()[0]:.1f}")
    report = {
        "days": args.days,
        "scale": args.scale,
        "one_by_one_s": round(one_by_one, 1),
        "backfill_s": round(backfill, 1),
        "speedup": round(one_by_one / backfill, 2),
        "same_warehouse": same,
    }
    (REPO / "benchmarks" / "results").mkdir(exist_ok=True)
    (REPO / "benchmarks" / "results" / "backfill.yaml").write_text(yaml.safe_dump(report, sort_keys=False))


if __name__ == "__main__":
    main()
