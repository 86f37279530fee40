"""Benchmark: `discover` + sampled `profile` of a 200-table MariaDB source with one big table.

Creates a database of --tables tables (one `events` table of --rows rows, the others small, with keys,
change timestamps, declared and undeclared foreign keys), then in a fresh subprocess per size (so peak RSS
belongs to that run alone) reads the catalog, infers foreign keys, proposes the registry and profiles every
table on the default sample, as `strataflow discover` and `strataflow profile` do. Prints wall time per
step and peak RSS; run it at two sizes of the big table to see that memory does not grow with it.

    .venv/bin/python benchmarks/bench_discover.py --rows 2000000 --rows 200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pymysql

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def create_source(database: str, tables: int, rows: int) -> float:
    started = time.monotonic()
    conn = pymysql.connect(**MYSQL, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cur.execute(f"CREATE DATABASE `{database}`")
        cur.execute(f"USE `{database}`")
        cur.execute(
            "CREATE TABLE accounts (account_id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, "
            "segment VARCHAR(8) NOT NULL, updated_at DATETIME(6) NOT NULL, KEY (updated_at))"
        )
        cur.execute(
            "INSERT INTO accounts SELECT seq, CONCAT('user', seq, '@example.org'), ELT(1 + seq % 3, 'a', 'b', 'c'), "
            "TIMESTAMP('2025-01-01') + INTERVAL seq SECOND FROM seq_1_to_1000"
        )
        cur.execute(
            "CREATE TABLE events (event_id BIGINT PRIMARY KEY, account_id INT NOT NULL, kind VARCHAR(12) NOT NULL, "
            "amount DECIMAL(12,2), note VARCHAR(60), updated_at DATETIME(6) NOT NULL, KEY (updated_at))"
        )
        cur.execute(
            "INSERT INTO events SELECT seq, 1 + seq % 1000, ELT(1 + seq % 4, 'view', 'click', 'buy', 'refund'), "
            f"(seq % 100000) / 100, IF(seq % 7 = 0, NULL, CONCAT('note ', seq % 50)), "
            f"TIMESTAMP('2025-01-01') + INTERVAL (seq % 86400) SECOND FROM seq_1_to_{rows}"
        )
        for i in range(tables - 2):
            fk = "CONSTRAINT FOREIGN KEY (account_id) REFERENCES accounts (account_id)" if i % 2 else "KEY (account_id)"
            cur.execute(
                f"CREATE TABLE t{i:03d} (id INT PRIMARY KEY, account_id INT NOT NULL, code CHAR(6) NOT NULL, "
                f"label VARCHAR(40), price DECIMAL(10,2), created_at DATETIME(6) NOT NULL, "
                f"updated_at DATETIME(6) NOT NULL, deleted_at DATETIME(6) NULL, KEY (updated_at), {fk})"
            )
            cur.execute(
                f"INSERT INTO t{i:03d} SELECT seq, 1 + seq % 1000, LPAD(seq, 6, '0'), CONCAT('label ', seq), "
                "seq / 10, '2025-01-01', TIMESTAMP('2025-01-02') + INTERVAL seq MINUTE, NULL FROM seq_1_to_100"
            )
        cur.execute("ANALYZE TABLE events, accounts")
    conn.close()
    return time.monotonic() - started


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {platform!r})
from strataflow.discover.db import open_mysql
from strataflow.discover.discovery import discover
from strataflow.discover.profile import profile_source
url = {url!r}
t0 = time.monotonic()
with open_mysql(url) as db:
    found = discover(db, "bench", pii_enabled=True)
    t1 = time.monotonic()
    profile = profile_source(db, found.catalog)
    t2 = time.monotonic()
print(json.dumps({{"tables": len(found.catalog.tables), "discover_s": t1 - t0, "profile_s": t2 - t1,
  "total_s": t2 - t0, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "big_rows": next(t.row_count for t in found.catalog.tables if t.name == "events"),
  "inferred_fks": sum(fk.inferred for t in found.catalog.tables for fk in t.foreign_keys)}}))
"""


def measure(database: str) -> dict:
    platform = str(Path(__file__).resolve().parents[1] / "platform")
    code = CHILD.format(platform=platform, url=f"mysql://root:@{MYSQL['host']}:{MYSQL['port']}/{database}")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--rows", type=int, action="append", help="rows of the big table (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args()
    results = []
    for rows in args.rows or [2_000_000]:
        database = f"bench_discover_{rows}"
        setup_s = create_source(database, args.tables, rows)
        result = {"rows": rows, "setup_s": round(setup_s, 1), **measure(database)}
        results.append(result)
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}), flush=True)
        if not args.keep:
            conn = pymysql.connect(**MYSQL, autocommit=True)
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
            conn.close()


if __name__ == "__main__":
    main()
