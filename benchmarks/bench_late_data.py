"""Benchmark: the late-data sensor's source query on a 2,000,000-row MariaDB table, 30 days back.

Dataset (database `sf_bench_late_data`, created once and reused while the row count matches):
  orders  N rows (default 2,000,000): id BIGINT PK, customer_id INT, amount DECIMAL(12,2), status
          VARCHAR(20), note VARCHAR(200), updated_at DATETIME(6) with an index, spread evenly over 365 days
          from 2024-01-01 (~5,500 rows a day; the 30-day window holds ~164,000 rows).

Measured: strataflow.extract.fingerprint.source_fingerprints over the last 30 daily partitions (one grouped
query: COUNT(*) and MAX(updated_at) per partition window), the time the sensor spends on the source for one
table. Reported: EXPLAIN of the query, then the first (cold-ish) and the median of --repeat further runs.
A variant with the whole year's 2,000,000 rows in the window shows the cost when every row is recent.

    .venv/bin/python benchmarks/bench_late_data.py [--rows 2000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pymysql

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

from strataflow.extract import MySQLReader
from strataflow.extract.fingerprint import fingerprint_sql, source_fingerprints, source_windows

DB = "sf_bench_late_data"
SECONDS_PER_YEAR = 365 * 86400


def ensure_table(rows: int) -> None:
    conn = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DB}")
        cur.execute(f"USE {DB}")
        cur.execute("SHOW TABLES LIKE 'orders'")
        if cur.fetchone():
            cur.execute("SELECT COUNT(*) FROM orders")
            if cur.fetchone()[0] == rows:
                return
            cur.execute("DROP TABLE orders")
        cur.execute(
            "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL,"
            " status VARCHAR(20) NOT NULL, note VARCHAR(200), updated_at DATETIME(6) NOT NULL,"
            " INDEX ix_orders_updated_at (updated_at))"
        )
        step = SECONDS_PER_YEAR / rows
        started = time.perf_counter()
        chunk = 500_000
        for lo in range(1, rows + 1, chunk):
            hi = min(rows, lo + chunk - 1)
            cur.execute(
                "INSERT INTO orders SELECT seq, seq % 50000, (seq % 100000) / 100, ELT(1 + seq % 3, 'new', 'paid',"
                f" 'shipped'), IF(seq % 3 = 0, NULL, REPEAT('x', 40)), '2024-01-01' + INTERVAL FLOOR(seq * {step:.6f})"
                f" SECOND FROM seq_{lo}_to_{hi}"
            )
        cur.execute("ANALYZE TABLE orders")
        print(f"created {rows:,} rows in {time.perf_counter() - started:.1f} s")


def measure(reader: MySQLReader, partitions: list[str], repeat: int) -> tuple[float, float, int]:
    started = time.perf_counter()
    fps = source_fingerprints(reader, "orders", "updated_at", partitions, "daily", "UTC")
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        source_fingerprints(reader, "orders", "updated_at", partitions, "daily", "UTC")
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), sum(fp.rows for fp in fps.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ensure_table(args.rows)
    reader = MySQLReader(f"mysql://root:@127.0.0.1:3306/{DB}")

    last_30 = [f"2024-12-{d:02d}" for d in range(1, 31)]
    windows = source_windows(last_30, "daily", "UTC")
    sql = fingerprint_sql("mysql", "orders", "updated_at", windows)
    print("EXPLAIN (30 daily partitions, 2024-12-01 .. 2024-12-30):")
    for row in reader.query("EXPLAIN " + sql):
        print("  ", row)
    first, median, rows = measure(reader, last_30, args.repeat)
    print(f"30 days back: {rows:,} rows fingerprinted; first {first:.3f} s, median of {args.repeat} {median:.3f} s")

    # Worst case: every row of the table falls in the fingerprinted windows (here 365 daily partitions).
    year = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    first, median, rows = measure(reader, year, args.repeat)
    print(f"336 days back (whole table): {rows:,} rows; first {first:.3f} s, median of {args.repeat} {median:.3f} s")


if __name__ == "__main__":
    main()
