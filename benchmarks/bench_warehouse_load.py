"""Benchmark: load an orders-like SRC partition into DuckDB and PostgreSQL.

Generates N rows (default 2,000,000) batch by batch into a temporary Parquet file, then, in a
fresh subprocess per target (so peak RSS belongs to that load alone), streams the file through
`Warehouse.load()` twice: the first load creates the table, the second replaces the same
partition (DELETE + insert in one transaction). Prints wall time, rows/s and peak RSS.

    .venv/bin/python benchmarks/bench_warehouse_load.py --rows 2000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

from strataflow.warehouse import LoadRequest, create_warehouse

PARTITION = "2025-01-03"
BATCH_ID = "bench-batch"
TZ = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("customer_id", pa.int32()),
        ("status", pa.string()),
        ("amount", pa.decimal128(12, 2)),
        ("currency", pa.string()),
        ("note", pa.string()),
        ("created_at", TZ),
        ("updated_at", TZ),
        ("is_paid", pa.bool_()),
        ("_batch_id", pa.string()),
        ("_partition", pa.string()),
        ("_loaded_at", TZ),
        ("_op", pa.string()),
    ]
)
STATUSES = ["pending", "paid", "shipped", "cancelled"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
BASE_US = int(datetime(2025, 1, 3, tzinfo=UTC).timestamp() * 1_000_000)
DAY_US = 86_400_000_000


def generate_batch(start: int, n: int) -> pa.RecordBatch:
    """Deterministic pseudo-random rows from hashes of the id (no numpy needed)."""
    h = lambda seed: pl.col("id").hash(seed)  # noqa: E731
    df = pl.DataFrame({"id": pl.int_range(start, start + n, eager=True, dtype=pl.Int64)}).with_columns(
        customer_id=(h(1) % 50_000).cast(pl.Int32),
        status=pl.lit(pl.Series(STATUSES)).get((h(2) % len(STATUSES)).cast(pl.Int64)),
        amount=pl.format("{}.{}", h(3) % 1_000_000, (h(4) % 100).cast(pl.String).str.zfill(2)),
        currency=pl.lit(pl.Series(CURRENCIES)).get((h(5) % len(CURRENCIES)).cast(pl.Int64)),
        note=pl.when(h(6) % 3 == 0)
        .then(None)
        .otherwise(pl.format('customer note {}: deliver to the café door "{}"; ok ✓', pl.col("id"), h(7) % 997)),
        created_at=pl.from_epoch(BASE_US + (h(8) % DAY_US).cast(pl.Int64), time_unit="us"),
        is_paid=h(9) % 2 == 0,
        _batch_id=pl.lit(BATCH_ID),
        _partition=pl.lit(PARTITION),
        _loaded_at=pl.lit(datetime.now(UTC)),
        _op=pl.when(h(10) % 5 == 0).then(pl.lit("U")).otherwise(pl.lit("I")),
    )
    df = df.with_columns(
        created_at=pl.col("created_at").dt.replace_time_zone("UTC"),
        updated_at=pl.col("created_at").dt.replace_time_zone("UTC") + pl.duration(seconds=h(11) % 3600),
    ).select(SCHEMA.names)
    table = df.to_arrow()
    return pa.Table.from_arrays([c.cast(f.type) for c, f in zip(table.columns, SCHEMA, strict=True)], schema=SCHEMA)


def write_parquet(path: Path, rows: int, batch_rows: int) -> int:
    """Write the dataset batch by batch; return its size as Arrow in memory (bytes)."""
    arrow_bytes = 0
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for start in range(0, rows, batch_rows):
            table = generate_batch(start, min(batch_rows, rows - start))
            arrow_bytes += table.nbytes
            writer.write_table(table)
    return arrow_bytes


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(kind: str, params: dict, parquet: str, read_rows: int) -> None:
    """Runs in its own process: two loads of the same partition, figures as JSON on stdout."""
    wh = create_warehouse(kind, **params)
    results = []
    for label, batch_id in (("initial", BATCH_ID), ("reload", BATCH_ID + "-2")):
        request = LoadRequest(
            asset="src/shop/orders",
            table="shop__orders",
            partition=PARTITION,
            mode="replace_partition",
            batch_id=batch_id,
            watermark_min=datetime(2025, 1, 3, tzinfo=UTC),
            watermark_max=datetime(2025, 1, 4, tzinfo=UTC),
        )
        # pre_buffer=False: the default pre-buffering holds every column chunk of the file in memory
        source = pq.ParquetFile(parquet, pre_buffer=False)
        reader = pa.RecordBatchReader.from_batches(source.schema_arrow, source.iter_batches(batch_size=read_rows))
        rss_before = peak_rss_mb()
        t0 = time.perf_counter()
        result = wh.load(request, reader)
        seconds = time.perf_counter() - t0
        results.append(
            {
                "load": label,
                "rows": result.rows,
                "seconds": seconds,
                "rss_before_mb": rss_before,
                "peak_mb": peak_rss_mb(),
            }
        )
    count = wh.query("SELECT count(*) FROM src.shop__orders")[0][0]
    wh.close()
    print(json.dumps({"results": results, "table_rows": count}))


def generate_in_child(parquet: Path, rows: int, batch_rows: int) -> int:
    """Write the dataset from a subprocess: a child started by exec inherits its parent's RSS high-water
    mark in ru_maxrss, so the parent must never hold the data for the load figures to be the load's own."""
    cmd = [sys.executable, __file__, "--write-only", "--parquet", str(parquet)]
    cmd += ["--rows", str(rows), "--batch-rows", str(batch_rows)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


def run_child(kind: str, params: dict, parquet: Path, read_rows: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--params",
        json.dumps(params),
        "--parquet",
        str(parquet),
    ]
    cmd += ["--read-rows", str(read_rows)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} benchmark failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def postgres_database(admin: str) -> tuple[str, str]:
    import psycopg

    name = f"strataflow_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, psycopg.conninfo.make_conninfo(admin, dbname=name)


def drop_postgres_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--batch-rows", type=int, default=100_000, help="rows per generated batch")
    parser.add_argument("--read-rows", type=int, default=65_536, help="rows per batch streamed to load()")
    parser.add_argument("--targets", default="duckdb,postgres")
    parser.add_argument("--pg-admin", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", help=argparse.SUPPRESS)
    parser.add_argument("--write-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child(args.child, json.loads(args.params), args.parquet, args.read_rows)
        return
    if args.write_only:
        print(write_parquet(Path(args.parquet), args.rows, args.batch_rows))
        return

    with tempfile.TemporaryDirectory(prefix="strataflow-bench-") as tmp:
        parquet = Path(tmp) / "orders.parquet"
        t0 = time.perf_counter()
        arrow_bytes = generate_in_child(parquet, args.rows, args.batch_rows)
        size = parquet.stat().st_size
        print(
            f"dataset: {args.rows:,} rows, {len(SCHEMA)} columns, Arrow {arrow_bytes / 2**20:,.0f} MiB, "
            f"Parquet {size / 2**20:,.0f} MiB (generated in {time.perf_counter() - t0:.1f} s)"
        )
        figures: dict[str, dict] = {}
        for kind in args.targets.split(","):
            if kind == "duckdb":
                figures[kind] = run_child(kind, {"path": str(Path(tmp) / "bench.duckdb")}, parquet, args.read_rows)
            elif kind == "postgres":
                name, conninfo = postgres_database(args.pg_admin)
                try:
                    figures[kind] = run_child(kind, {"conninfo": conninfo}, parquet, args.read_rows)
                finally:
                    drop_postgres_database(args.pg_admin, name)
            else:
                raise SystemExit(f"unsupported benchmark target {kind!r}")

    header = f"{'target':<10}{'load':<9}{'rows':>11}{'wall s':>9}{'rows/s':>12}"
    print(f"\n{header}{'RSS before MiB':>16}{'peak RSS MiB':>14}")
    for kind, figure in figures.items():
        for r in figure["results"]:
            rate = r["rows"] / r["seconds"]
            print(
                f"{kind:<10}{r['load']:<9}{r['rows']:>11,}{r['seconds']:>9.2f}{rate:>12,.0f}"
                f"{r['rss_before_mb']:>16,.0f}{r['peak_mb']:>14,.0f}"
            )
        assert figure["table_rows"] == args.rows, f"{kind}: table holds {figure['table_rows']} rows"
    python = sys.version.split()[0]
    print(f"\n(python {python}, {os.cpu_count()} CPUs; peak RSS: the load subprocess's high-water mark)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": args.rows, "arrow_bytes": arrow_bytes, "targets": figures}, indent=2))


if __name__ == "__main__":
    main()
