"""Worker processes of the fault tests: real OS processes racing on one lake partition or one DuckDB file.

Run as `python fault_workers.py '<json>'`; the JSON names the job and its arguments. Optional
hand-shake files let a test fix the interleaving: a worker touches `announce` when it reaches its
pause point and waits there until `wait_for` exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from strataflow.lake import LakeStorage, Spool, commit_partition

SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])
LAKE_PARTITION = dict(layer="raw", source="shop", table="orders", partition="2025-01-01")
LAKE_PREFIX = "raw/shop/orders/ingestion_date=2025-01-01"


WORKER_TIMEOUT = 120


# -- parent side: start workers and wait for them ------------------------------------------------


def spawn(job: dict[str, Any]) -> subprocess.Popen[str]:
    """Start this file as a separate Python process running `job`."""
    return subprocess.Popen(
        [sys.executable, __file__, json.dumps(job)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=WORKER_TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def succeed(proc: subprocess.Popen[str]) -> None:
    done = finish(proc)
    assert done.returncode == 0, done.stderr[-3000:]


def wait_until_exists(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early: {finish(proc).stderr[-3000:]}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


# -- worker side -----------------------------------------------------------------------------------


def open_lake(spec: dict[str, Any]) -> LakeStorage:
    if spec["kind"] == "local":
        return LakeStorage.local(spec["path"])
    return LakeStorage.s3(spec["bucket"], "lake", endpoint_url=spec["endpoint"])


def wait_for(path: str | None, timeout: float = 60.0) -> None:
    if path is None:
        return
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


def rows(first: int, count: int, tag: str) -> pa.RecordBatch:
    ids = list(range(first, first + count))
    return pa.record_batch([pa.array(ids, pa.int64()), pa.array([f"{tag}{i}" for i in ids])], schema=SCHEMA)


def lake_commit(args: dict[str, Any]) -> None:
    """Commit `rounds` times; with `announce`/`wait_for`, pause between the data files and the manifest.
    `sweep_grace_s: 0` sweeps the replaced commit's files at once (readers of it then find them gone)."""
    storage = open_lake(args["lake"])
    storage.sweep_grace_s = args.get("sweep_grace_s", storage.sweep_grace_s)
    if args.get("announce"):
        real_write = storage.write_bytes_atomic

        def paused_write(key: str, data: bytes) -> None:
            Path(args["announce"]).touch()
            wait_for(args.get("wait_for"))
            real_write(key, data)

        storage.write_bytes_atomic = paused_write  # type: ignore[method-assign]
    for n in range(args.get("rounds", 1)):
        with Spool(SCHEMA, rows_per_file=args.get("rows_per_file", 1_000_000)) as spool:
            spool.write(rows(args["first"] + n % 2, args["count"], args["tag"]))
            commit_partition(storage, files=spool.finish(), **LAKE_PARTITION)


def warehouse_load(args: dict[str, Any]) -> None:
    """Load one partition into DuckDB (args: path) or PostgreSQL (args: conninfo).

    `hold_s`: keep the DuckDB file open that long before loading (a slow neighbour); `batches` and
    `batch_sleep`: stream that many batches of `count` rows, sleeping between them (a long load);
    `announce` is touched once the file is open, or after the first batch with `announce_mid_load`."""
    from datetime import UTC, datetime

    from strataflow.warehouse import DuckDBWarehouse, LoadRequest, PostgresWarehouse

    if "conninfo" in args:
        warehouse = PostgresWarehouse(args["conninfo"])
    else:
        warehouse = DuckDBWarehouse(args["path"], lock_timeout_s=args.get("lock_timeout_s", 30.0))
    part, count = args["partition"], args["count"]
    schema = pa.schema([("id", pa.int64()), ("_partition", pa.string())])

    def batches() -> Any:
        for n in range(args.get("batches", 1)):
            first = args["first"] + n * count
            yield pa.record_batch([pa.array(range(first, first + count), pa.int64()), pa.array([part] * count)], schema)
            if n == 0 and args.get("announce_mid_load"):
                Path(args["announce"]).touch()
            time.sleep(args.get("batch_sleep", 0))

    try:
        if args.get("announce") and not args.get("announce_mid_load"):
            Path(args["announce"]).touch()
        time.sleep(args.get("hold_s", 0))
        request = LoadRequest(
            asset="src/shop/orders",
            table="shop__orders",
            partition=part,
            mode="replace_partition",
            batch_id=f"b-{part}",
            watermark_min=datetime(2025, 1, 1, tzinfo=UTC),
            watermark_max=datetime(2025, 1, 2, tzinfo=UTC),
        )
        warehouse.load(request, pa.RecordBatchReader.from_batches(schema, batches()))
    finally:
        warehouse.close()


def audit_append(args: dict[str, Any]) -> None:
    """Connect to PostgreSQL (args: conninfo), touch `announce`, wait for `wait_for`, then append one
    row to audit.<table>: several such workers make concurrent first calls on a fresh database."""
    from strataflow.warehouse import PostgresWarehouse

    warehouse = PostgresWarehouse(args["conninfo"])
    try:
        Path(args["announce"]).touch()
        wait_for(args["wait_for"])
        columns = pa.schema([("worker", pa.int64()), ("note", pa.string())])
        warehouse.append_audit(args["table"], columns, [(args["worker"], "hello")])
    finally:
        warehouse.close()


def spool_clean(args: dict[str, Any]) -> None:
    """What a process starting does first under a spool root: remove stale spools; print them as JSON."""
    from strataflow.lake import clean_stale_spools

    print(json.dumps([str(p) for p in clean_stale_spools(Path(args["root"]))]))


JOBS = {
    "lake_commit": lake_commit,
    "warehouse_load": warehouse_load,
    "audit_append": audit_append,
    "spool_clean": spool_clean,
}

if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    JOBS[job.pop("job")](job)
