"""Benchmark: the quality gate's validation of a 1,000,000-row SRC partition against that partition's extract.

Dataset: database `sf_bench_quality`, table `orders` = the orders-like table of bench_extract.py
(BIGINT id, INT customer_id, VARCHAR status, DECIMAL(12,2) amount, CHAR(3) currency, nullable VARCHAR
note, DATETIME(6) created_at / updated_at, TINYINT is_test), N rows (default 1,000,000), created once.

One process, in this order (the same run):
  1. extract  pipeline.extract_partition of the whole table (load_type full) into a temp lake: connectorx
              Arrow stream -> zstd Parquet -> RAW commit. Wall time E.
  2. standardize  transform.standardize_partition: the SRC partition in memory (Arrow); its size A = nbytes.
  3. validate  quality.runner.validate_batch with a ten-expectation suite (below). Wall time V, and its peak
              memory: the process's peak RSS is reset (/proc/self/clear_refs) just before, and the peak
              during validation minus the RSS before it is reported (Arrow memory is in the RSS too).
Great Expectations is imported (and its context created, by a first validation of a 1,000-row slice) before
the clock starts: a code location or a run pays that once per process, not per partition; both are reported.

Targets (issue 9): V <= 25 % of E; validation peak <= 2 x A.

    .venv/bin/python benchmarks/bench_quality.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_extract import CREATE_ORDERS, FILL_CHUNK, FILL_ORDERS, HOST, PORT, USER  # noqa: E402

DB = "sf_bench_quality"
URL = f"mysql://{USER}@{HOST}:{PORT}/{DB}"
RESULTS = ROOT / "benchmarks" / "results" / "quality.md"
SUITE = """
expectations:
  - not_null: [id, customer_id, amount]
  - unique: [id]
  - between: {column: amount, min: 0, max: 100000}
  - in_set: {column: status, values: [pending, paid, shipped, delivered, cancelled]}
  - regex: {column: currency, pattern: '^[A-Z]{3}$'}
  - length_between: {column: note, max: 200}
  - columns_match: true
  - types_match: true
  - row_count_between: {min: 1, max: 10000000}
  - row_count_vs_previous: {max_drop: 0.5}
"""


def ensure_dataset(rows: int) -> None:
    with pymysql.connect(host=HOST, port=PORT, user=USER, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{DB}` CHARACTER SET utf8mb4")
        cur.execute(f"USE `{DB}`")
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s AND TABLE_NAME='orders'", (DB,)
        )
        if cur.fetchone()[0]:
            cur.execute("SELECT COUNT(*) FROM orders")
            if cur.fetchone()[0] == rows:
                return
        cur.execute("DROP TABLE IF EXISTS orders")
        cur.execute(CREATE_ORDERS.format(name="orders"))
        for lo in range(1, rows + 1, FILL_CHUNK):
            cur.execute(FILL_ORDERS.format(lo=lo, hi=min(lo + FILL_CHUNK - 1, rows)))


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(suite_path: Path) -> dict[str, float]:
    from strataflow.config.expectations import load_suite
    from strataflow.config.loader import TableRef
    from strataflow.config.models import TableConfig
    from strataflow.extract.mysql import MySQLReader
    from strataflow.lake import LakeStorage
    from strataflow.pipeline import expected_src_schema, extract_partition
    from strataflow.quality.runner import validate_batch
    from strataflow.transform import standardize_partition

    config = TableConfig(
        name="orders",
        load_type="full",
        primary_key=["id"],
        watermark="updated_at",
        partitioning={"start": "2025-01-01"},
    )
    ref = TableRef("bench", config, Path("bench.yaml"), 0)
    suite = load_suite(suite_path)
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        storage = LakeStorage.local(tmp)
        started = time.perf_counter()
        extract = extract_partition(MySQLReader(URL), storage, ref, "2025-01-01")
        extract_s = time.perf_counter() - started
        std = standardize_partition(storage, "bench", config, "2025-01-01", pii_salt=None)
        data, expected = std.data, expected_src_schema(storage, ref)
        arrow_mb = data.nbytes / 2**20
        kwargs = {"asset": "src/bench/orders", "primary_key": ["id"], "expected_schema": expected}
        validate_batch(data.slice(0, 1000), suite, partition="warm-up", previous_rows=1000, **kwargs)
        before = rss_mb()
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM) to the current RSS
        started = time.perf_counter()
        report = validate_batch(data, suite, partition="2025-01-01", previous_rows=data.num_rows, **kwargs)
        validate_s = time.perf_counter() - started
        peak_extra = rss_mb("VmHWM") - before
    assert report.passed, report.summary()
    assert len(report.results) == 10 and extract.rows == data.num_rows
    return {
        "rows": data.num_rows,
        "extract_s": extract_s,
        "validate_s": validate_s,
        "ratio": validate_s / extract_s,
        "arrow_mb": arrow_mb,
        "peak_mb": peak_extra,
        "memory_ratio": peak_extra / arrow_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ensure_dataset(args.rows)
    started = time.perf_counter()
    from strataflow.quality.runner import _gx

    _gx()
    import_s = time.perf_counter() - started
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(SUITE)
    runs = [one_run(Path(f.name)) for _ in range(args.repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    lines = [
        f"{int(med['rows']):,}-row partition, ten-expectation suite, {args.repeat} runs in one process, medians "
        f"(Great Expectations import once per process: {import_s:.1f} s, excluded):",
        "",
        "| run | extract s | validate s | validate / extract | Arrow MB | validation peak MB | peak / Arrow |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, r in enumerate([*runs, med], start=1):
        label = "median" if n > len(runs) else str(n)
        lines.append(
            f"| {label} | {r['extract_s']:.2f} | {r['validate_s']:.2f} | {100 * r['ratio']:.0f} % | "
            f"{r['arrow_mb']:.0f} | {r['peak_mb']:.0f} | {r['memory_ratio']:.2f}x |"
        )
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
