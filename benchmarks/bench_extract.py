"""Benchmark: the RAW extract (MariaDB table -> zstd Parquet lake partition) against a floor and alternatives.

Dataset (created once in database `sf_bench`, reused while the row counts match):
  orders       N rows (default 2,000,000): id BIGINT PK, customer_id INT, status VARCHAR(20),
               amount DECIMAL(12,2), currency CHAR(3), note VARCHAR(200) NULL (~30% NULL),
               created_at / updated_at DATETIME(6) (updated_at indexed, spread over 100 days from
               2025-01-01 so that one day holds ~1% of the rows), is_test TINYINT
  orders_200k  the first 200,000 rows of `orders` (memory-scaling check)

Methods, each run in its OWN subprocess under /usr/bin/time (peak RSS = that child's max RSS):
  floor               `mysql --batch --quick -e "SELECT * FROM orders" sf_bench` to /dev/null: the server
                      scan plus text-protocol transfer, no typing, no file. Seconds: the whole client process.
  strataflow full     strataflow.extract.extract_partition(MySQLReader(url), LakeStorage.local(tmp), ...)
                      with load_type=full: connectorx Arrow stream, conform() to the declared schema,
                      zstd Parquet spool, sha256, upload (copy) into the lake, manifest commit.
  strataflow incr 1%  the same call with load_type=incremental on partition 2025-01-01 (one day, ~1%).
  pandas              pymysql cursor.fetchall() -> pd.DataFrame -> df.to_parquet() (pyarrow, default
                      snappy): what a typical hand-written pipeline does.
  dlt                 dlt.sources.sql_database.sql_table(backend="connectorx") with dlt's defaults (the
                      whole table read as ONE Arrow table) -> dlt.pipeline(destination=filesystem,
                      loader_file_format=parquet).run(): extract + normalize + load into a local folder,
                      dlt's schema/state/trace files included.
  dlt (arrow_stream)  the same with backend_kwargs={"return_type": "arrow_stream"} (dlt's documented
                      streaming mode, batches of its chunk_size, 50,000 rows).
Variants (--variant KEY=JSON): strataflow full again, with MySQLReader(batch_rows=...) or a changed
strataflow.lake.partition.PARQUET_OPTIONS, to measure a proposed change without editing the package.
For the Python methods, seconds are the child's wall time around the work (interpreter start-up and
imports excluded); peak RSS includes the interpreter and imports ("base" column: RSS after imports).

The written RAW Parquet is checked: amount decimal128(12,2), customer_id int32, is_test int8,
NOT NULL columns non-nullable, row counts equal to the source.

    .venv/bin/python benchmarks/bench_extract.py [--rows 2000000] [--repeat 2] [--skip-dlt]
        [--skip-pandas] [--variant dictionary_pagesize_limit=65536]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pymysql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

DB = "sf_bench"
HOST, PORT, USER = "127.0.0.1", 3306, "root"
URL = f"mysql://{USER}@{HOST}:{PORT}/{DB}"
SMALL_TABLE, SMALL_ROWS = "orders_200k", 200_000
DAY = "2025-01-01"  # the incremental partition: updated_at in [DAY, DAY+1) ~ 1% of the rows
RESULTS = ROOT / "benchmarks" / "results" / "extract.md"
TIME = "/usr/bin/time"  # GNU time: the child's own max RSS and CPU

CREATE_ORDERS = """
CREATE TABLE {name} (
    id BIGINT NOT NULL PRIMARY KEY,
    customer_id INT NOT NULL,
    status VARCHAR(20) NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    currency CHAR(3) NOT NULL,
    note VARCHAR(200) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    is_test TINYINT NOT NULL,
    KEY ix_{name}_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""
# Deterministic rows from MariaDB's SEQUENCE engine (seq_1_to_N); multiplicative hashing of the id
# spreads updated_at uniformly over 100 days (8.64e12 microseconds) in any id range.
FILL_ORDERS = """
INSERT INTO orders
SELECT seq,
       1 + (seq * 7919) % 50000,
       ELT(1 + (seq * 31) % 5, 'pending', 'paid', 'shipped', 'delivered', 'cancelled'),
       ((seq * 104729) % 10000000) / 100,
       ELT(1 + seq % 4, 'EUR', 'USD', 'GBP', 'CHF'),
       IF((seq * 13) % 10 < 3, NULL,
          CONCAT('customer note #', seq, ': deliver to the café door ', REPEAT('x', (seq * 17) % 60))),
       u - INTERVAL ((seq * 40503) % 2592000) SECOND,
       u,
       IF(seq % 50 = 0, 1, 0)
FROM (SELECT seq, TIMESTAMP('2025-01-01') + INTERVAL ((seq * 2654435761) % 8640000000000) MICROSECOND AS u
      FROM seq_{lo}_to_{hi}) s
"""
FILL_CHUNK = 500_000
NOT_NULL = ["id", "customer_id", "status", "amount", "currency", "created_at", "updated_at", "is_test"]
EXPECTED_TYPES = {
    "id": pa.int64(),
    "customer_id": pa.int32(),
    "amount": pa.decimal128(12, 2),
    "is_test": pa.int8(),
    "note": pa.string(),
    "updated_at": pa.timestamp("us"),
}


# ---------------------------------------------------------------- dataset


def connect(database: str | None = DB) -> pymysql.connections.Connection:
    return pymysql.connect(host=HOST, port=PORT, user=USER, database=database, charset="utf8mb4", autocommit=True)


def row_count(cur, table: str) -> int | None:
    cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s", (DB, table))
    if not cur.fetchone()[0]:
        return None
    cur.execute(f"SELECT COUNT(*) FROM `{table}`")
    return cur.fetchone()[0]


def ensure_dataset(rows: int) -> None:
    """Create sf_bench.orders (rows) and orders_200k once; rebuild only when a row count differs."""
    with connect(None) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{DB}` CHARACTER SET utf8mb4")
        cur.execute(f"USE `{DB}`")
        if row_count(cur, "orders") != rows:
            started = time.perf_counter()
            cur.execute("DROP TABLE IF EXISTS orders")
            cur.execute(CREATE_ORDERS.format(name="orders"))
            for lo in range(1, rows + 1, FILL_CHUNK):
                cur.execute(FILL_ORDERS.format(lo=lo, hi=min(lo + FILL_CHUNK - 1, rows)))
            cur.execute("DROP TABLE IF EXISTS " + SMALL_TABLE)
            print(f"created {DB}.orders: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
        small = min(SMALL_ROWS, rows)
        if row_count(cur, SMALL_TABLE) != small:
            cur.execute("DROP TABLE IF EXISTS " + SMALL_TABLE)
            cur.execute(CREATE_ORDERS.format(name=SMALL_TABLE))
            cur.execute(f"INSERT INTO {SMALL_TABLE} SELECT * FROM orders WHERE id <= {small}")
        cur.execute("ANALYZE TABLE orders, " + SMALL_TABLE)
        cur.fetchall()


def day_rows(table: str) -> int:
    with connect() as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*) FROM `{table}` WHERE updated_at >= %s AND updated_at < %s + INTERVAL 1 DAY", (DAY, DAY)
        )
        return cur.fetchone()[0]


# ---------------------------------------------------------------- the measured work (child processes)


def rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_strataflow(table: str, out: Path, load_type: str, settings: dict) -> int:
    """settings (variants only): batch_rows for MySQLReader, any other key patches the lake's PARQUET_OPTIONS."""
    from strataflow.config.loader import TableRef
    from strataflow.config.models import TableConfig
    from strataflow.extract.mysql import MySQLReader
    from strataflow.lake import LakeStorage, partition
    from strataflow.pipeline import extract_partition

    config = TableConfig(
        name=table,
        load_type=load_type,
        primary_key=["id"],
        watermark="updated_at",
        partitioning={"start": "2025-01-01"},
    )
    settings = dict(settings)
    reader = MySQLReader(URL, **({"batch_rows": settings.pop("batch_rows")} if "batch_rows" in settings else {}))
    partition.PARQUET_OPTIONS.update(settings)  # read by Spool when it opens each Parquet part
    result = extract_partition(reader, LakeStorage.local(out), TableRef("bench", config, Path("bench.yaml"), 0), DAY)
    return result.rows


def run_pandas(table: str, out: Path) -> int:
    import pandas as pd

    with connect() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM `{table}`")
        names = [d[0] for d in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=names)
    frame.to_parquet(out / f"{table}.parquet")
    return len(frame)


def run_dlt(table: str, out: Path, stream: bool) -> int:
    """stream=False: dlt's connectorx default (the whole table as one Arrow table); True: its arrow_stream mode."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    import dlt
    from dlt.sources.sql_database import sql_table

    source = sql_table(
        credentials=f"mysql+pymysql://{USER}@{HOST}:{PORT}/{DB}",
        table=table,
        backend="connectorx",
        backend_kwargs={"return_type": "arrow_stream"} if stream else None,
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_extract",
        pipelines_dir=str(out / "pipelines"),
        destination=dlt.destinations.filesystem(bucket_url=(out / "lake").as_uri()),
        dataset_name="raw",
    )
    pipeline.run(source, loader_file_format="parquet")
    return pipeline.last_trace.last_normalize_info.row_counts[table]


def child(method: str, table: str, out: Path, settings: dict) -> None:
    """Runs in its own process; prints {"rows", "seconds", "base_mb"} as JSON."""
    if method == "pandas":
        import pandas  # noqa: F401  (imports before the clock starts, as for the others)
    elif method.startswith("dlt"):
        import dlt  # noqa: F401
    else:
        import strataflow.extract.extractor  # noqa: F401
    base_mb = rss_now_mb()
    started = time.perf_counter()
    if method == "strataflow":
        rows = run_strataflow(table, out, "full", settings)
    elif method == "strataflow_incr":
        rows = run_strataflow(table, out, "incremental", settings)
    elif method == "pandas":
        rows = run_pandas(table, out)
    elif method in ("dlt", "dlt_stream"):
        rows = run_dlt(table, out, stream=method == "dlt_stream")
    else:
        raise SystemExit(f"unknown method {method!r}")
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started, "base_mb": base_mb}))


# ---------------------------------------------------------------- the parent: spawn, measure, report


@dataclass
class Run:
    rows: int
    seconds: float
    peak_mb: float  # the child's max RSS
    cpu_s: float  # the child's user + sys CPU seconds (all its threads)
    server_cpu_s: float | None  # mariadbd's CPU seconds over the run (the whole server: others' queries too)
    base_mb: float | None = None  # Python children: RSS after imports, before the work


@dataclass
class Method:
    label: str
    kind: str  # floor | strataflow | strataflow_incr | pandas | dlt
    table: str
    settings: dict = field(default_factory=dict)  # a variant's changes (see run_strataflow)
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float | None:
        values = [getattr(r, attr) for r in self.runs]
        return None if None in values else statistics.median(values)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return statistics.median(r.peak_mb for r in self.runs)

    @property
    def rows(self) -> int:
        return self.runs[-1].rows

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def server_cpu_seconds() -> float | None:
    """mariadbd's (or mysqld's) user + sys CPU time from /proc, None if it cannot be read."""
    for comm in ("mariadbd", "mysqld"):
        found = subprocess.run(["pidof", comm], capture_output=True, text=True, check=False).stdout.split()
        if found:
            try:
                fields = Path(f"/proc/{found[0]}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def spawn(cmd: list[str], discard_stdout: bool = False) -> tuple[str, float, float, float, float | None]:
    """Run cmd under GNU time; return (stdout, wall s, the child's max RSS MB, its CPU s, server CPU s).

    Not os.wait4/RUSAGE_CHILDREN: a child started by vfork+exec inherits the PARENT's RSS high-water
    mark in ru_maxrss (Linux records the old mm's peak at exec), which would floor every figure at
    this script's own peak. /usr/bin/time is a tiny process, so its child's ru_maxrss is the child's.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "time.txt"
        timed = [TIME, "-f", "%e %M %U %S", "-o", str(report), *cmd]
        server_before = server_cpu_seconds()
        done = subprocess.run(
            timed, stdout=subprocess.DEVNULL if discard_stdout else subprocess.PIPE, stderr=subprocess.PIPE, check=False
        )
        server_after = server_cpu_seconds()
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({done.returncode}):\n{done.stderr.decode()[-4000:]}")
        wall, max_kb, user, system = (float(v) for v in report.read_text().split()[-4:])
    server = None if server_before is None or server_after is None else server_after - server_before
    return (done.stdout or b"").decode(), wall, max_kb / 1024, user + system, server


def run_floor(table: str, rows: int) -> Run:
    cmd = ["mysql", f"-h{HOST}", f"-P{PORT}", f"-u{USER}", "--batch", "--quick", "-e", f"SELECT * FROM {table}", DB]
    _, seconds, peak, cpu, server = spawn(cmd, discard_stdout=True)
    return Run(rows, seconds, peak, cpu, server)


def run_python(method: Method, out: Path) -> Run:
    cmd = [sys.executable, __file__, "--child", method.kind, "--table", method.table, "--out", str(out)]
    cmd += ["--settings", json.dumps(method.settings)]
    stdout, _, peak, cpu, server = spawn(cmd)
    figures = json.loads(stdout.strip().splitlines()[-1])
    return Run(figures["rows"], figures["seconds"], peak, cpu, server, figures["base_mb"])


def verify_raw(lake: Path, expected_rows: int) -> list[str]:
    """Check the committed RAW partition: row count, decimal/int widths, non-nullable NOT NULL columns."""
    manifests = list(lake.rglob("_manifest.json"))
    if len(manifests) != 1:
        return [f"expected one manifest, found {len(manifests)}"]
    manifest = json.loads(manifests[0].read_text())
    problems = []
    if manifest["rows"] != expected_rows:
        problems.append(f"manifest rows {manifest['rows']} != source rows {expected_rows}")
    for f in manifest["files"]:
        path = manifests[0].parent / f["name"]
        schema = pq.read_schema(path)
        if pq.ParquetFile(path).metadata.row_group(0).column(0).compression != "ZSTD":
            problems.append(f"{f['name']}: not zstd")
        for name, expected in EXPECTED_TYPES.items():
            if schema.field(name).type != expected:
                problems.append(f"{f['name']}: {name} is {schema.field(name).type}, expected {expected}")
        problems += [f"{f['name']}: {n} is nullable" for n in NOT_NULL if schema.field(n).nullable]
        if not schema.field("note").nullable:
            problems.append(f"{f['name']}: note (NULL-able) is not nullable")
    return problems


def describe_output(out: Path) -> str:
    """The written Parquet's types for the columns where fidelity differs between methods."""
    files = sorted(out.rglob("*.parquet"))
    if not files:
        return "no Parquet file found"
    schema = pq.read_schema(files[0])
    shown = ", ".join(f"{n} {schema.field(n).type}" for n in ("amount", "customer_id", "is_test", "status"))
    not_null = sum(not f.nullable for f in schema)
    size = sum(f.stat().st_size for f in files) / 1e6
    return f"{shown}; {not_null} of {len(schema)} fields non-nullable; {len(files)} file(s), {size:.1f} MB"


def measure(method: Method, rows: int, checks: dict[str, list[str]], outputs: dict[str, str]) -> None:
    if method.kind == "floor":
        method.runs.append(run_floor(method.table, rows))
        return
    with tempfile.TemporaryDirectory(prefix="sf-bench-extract-") as tmp:
        run = run_python(method, Path(tmp))
        method.runs.append(run)
        if method.kind.startswith("strataflow"):
            checks[method.label] = verify_raw(Path(tmp) / "raw", run.rows)
        outputs[method.label] = describe_output(Path(tmp))
    print(f"  {method.label:<32} {run.seconds:7.2f} s {run.peak_mb:7.0f} MB peak {run.cpu_s:6.2f} CPU s", flush=True)


# ---------------------------------------------------------------- report


def table_markdown(methods: list[Method], floor: Method) -> str:
    fmt = lambda v, spec: "" if v is None else format(v, spec)  # noqa: E731
    lines = [
        "| method | rows | seconds | rows/s | x floor | peak RSS MB | client CPU s | server CPU s | base MB "
        "| runs (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for m in methods:
        lines.append(
            f"| {m.label} | {m.rows:,} | {m.seconds:.2f} | {m.rate:,.0f} | {m.rate / floor.rate:.2f} "
            f"| {m.peak_mb:,.0f} | {fmt(m.median('cpu_s'), '.2f')} | {fmt(m.median('server_cpu_s'), '.2f')} "
            f"| {fmt(m.median('base_mb'), ',.0f')} | {', '.join(f'{r.seconds:.2f}' for r in m.runs)} |"
        )
    return "\n".join(lines)


def verdicts(by_key: dict[str, Method], floor: Method, day: int) -> list[str]:
    full, small, incr = by_key["strataflow"], by_key.get("strataflow_200k"), by_key["strataflow_incr"]
    mark = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    speed = full.rate / floor.rate
    paired = [f.seconds / s.seconds for f, s in zip(floor.runs, full.runs, strict=True)]
    lines = [
        f"- {mark(speed >= 0.75)} strataflow ≥ 0.75x floor rows/s: {speed:.2f}x "
        f"(per round: {', '.join(f'{p:.2f}' for p in paired)})",
        f"- {mark(full.peak_mb < 300)} peak RSS < 300 MB at {full.rows:,} rows: {full.peak_mb:.0f} MB",
    ]
    if small:
        ratio = full.peak_mb / small.peak_mb
        lines.append(
            f"- {mark(ratio <= 1.5)} peak at {full.rows:,} ≤ 1.5x peak at {small.rows:,}: "
            f"{full.peak_mb:.0f} / {small.peak_mb:.0f} MB = {ratio:.2f}x"
        )
    share = incr.seconds / full.seconds
    lines.append(
        f"- {mark(share < 0.10)} incremental (1 day: {incr.rows:,} rows, source has {day:,}) < 10% of full: "
        f"{incr.seconds:.2f} / {full.seconds:.2f} s = {share:.1%}"
    )
    return lines


def variant_lines(methods: list[Method], floor: Method) -> list[str]:
    variants = [m for m in methods if m.settings]
    full = [m for m in variants if m.table == "orders"]
    small = [m for m in variants if m.table == SMALL_TABLE]
    if not full:
        return []
    line = f"- {full[0].label}: {full[0].rate / floor.rate:.2f}x floor rows/s, peak {full[0].peak_mb:.0f} MB"
    if small:
        line += f" ({full[0].peak_mb / small[0].peak_mb:.2f}x its {small[0].rows:,}-row peak)"
    return ["", "## Variant (not strataflow as committed)", "", line]


def parse_variant(items: list[str]) -> dict:
    settings = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value  # a bare string, e.g. compression=snappy
    return settings


def server_version() -> str:
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return cur.fetchone()[0]


def main() -> None:
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} (GNU time) measures each child's peak memory: apt-get install time")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per method (medians reported)")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="also measure strataflow full with this change (repeatable, all applied together): batch_rows=N "
        "for MySQLReader, any other key overrides strataflow.lake.partition.PARQUET_OPTIONS, "
        "e.g. dictionary_pagesize_limit=65536",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--table", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--settings", type=json.loads, default={}, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child(args.child, args.table, args.out, args.settings)
        return

    ensure_dataset(args.rows)
    day = day_rows("orders")
    methods = [
        Method("floor: mysql --batch --quick", "floor", "orders"),
        Method("strataflow full", "strataflow", "orders"),
        Method("strataflow incremental 1 day", "strataflow_incr", "orders"),
        Method(f"strataflow full ({SMALL_TABLE})", "strataflow", SMALL_TABLE),
    ]
    if args.variant:
        settings = parse_variant(args.variant)
        name = ", ".join(f"{k}={v}" for k, v in settings.items())
        methods.insert(2, Method(f"strataflow full [{name}]", "strataflow", "orders", settings))
        methods.insert(5, Method(f"strataflow full ({SMALL_TABLE}) [{name}]", "strataflow", SMALL_TABLE, settings))
    if not args.skip_pandas:
        methods.append(Method("pymysql + pandas", "pandas", "orders"))
    if not args.skip_dlt:
        methods.append(Method("dlt sql_table connectorx (default: one Arrow table)", "dlt", "orders"))
        methods.append(Method("dlt sql_table connectorx (arrow_stream)", "dlt_stream", "orders"))
    expected = {"orders": args.rows, SMALL_TABLE: min(SMALL_ROWS, args.rows)}
    checks: dict[str, list[str]] = {}
    outputs: dict[str, str] = {}
    for n in range(args.repeat):  # round-robin, so a disturbance spreads over methods
        print(f"round {n + 1}/{args.repeat}", flush=True)
        for method in methods:
            measure(method, expected[method.table], checks, outputs)

    for m in methods:
        want = day if m.kind == "strataflow_incr" else expected[m.table]
        if m.rows != want:
            checks.setdefault(m.label, []).append(f"extracted {m.rows:,} rows, source has {want:,}")
    by_key = {m.kind if m.table == "orders" else f"{m.kind}_200k": m for m in methods if not m.settings}
    floor = by_key["floor"]
    report = "\n".join(
        [
            f"# RAW extract benchmark ({args.rows:,} rows, {args.repeat} run(s) per method)",
            "",
            table_markdown(methods, floor),
            "",
            "## Targets",
            "",
            *verdicts(by_key, floor, day),
            *variant_lines(methods, floor),
            "",
            "## RAW Parquet checks",
            "",
            *[f"- {label}: {'OK' if not p else '; '.join(p)}" for label, p in checks.items()],
            "",
            "## Written Parquet types (source: amount DECIMAL(12,2), customer_id INT, is_test TINYINT, 8 NOT NULL)",
            "",
            *[f"- {label}: {text}" for label, text in outputs.items()],
            "",
            f"MariaDB {server_version()}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs. "
            "Medians over the runs. Peak RSS and client CPU: "
            "each child's max RSS and user+sys CPU (GNU time); server CPU: mariadbd's CPU during the run "
            "(whole server); base MB: the child's RSS after imports, before the work. Seconds: the child's "
            "own clock around the work (the floor: the whole mysql process). See the module docstring.",
        ]
    )
    print("\n" + report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report + "\n")


if __name__ == "__main__":
    main()
