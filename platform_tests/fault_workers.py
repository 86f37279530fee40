"""Worker processes of the fault tests: real OS processes racing on one lake partition or one DuckDB file.

Run as `python fault_workers.py '<json>'`; the JSON names the job and its arguments. Optional
hand-shake files let a test fix the interleaving: a worker touches `announce` when it reaches its
pause point and waits there until `wait_for` exists.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from strataflow.lake import LakeStorage, Spool, commit_partition

SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])
LAKE_PARTITION = dict(layer="raw", source="shop", table="orders", partition="2025-01-01")
LAKE_PREFIX = "raw/shop/orders/ingestion_date=2025-01-01"


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
    """Commit `rounds` times; with `announce`/`wait_for`, pause between the data files and the manifest."""
    storage = open_lake(args["lake"])
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


def duckdb_load(args: dict[str, Any]) -> None:
    """Load one partition into a DuckDB file, optionally holding the file for `hold_s` seconds first."""
    from datetime import UTC, datetime

    from strataflow.warehouse import DuckDBWarehouse, LoadRequest

    warehouse = DuckDBWarehouse(args["path"], lock_timeout_s=args.get("lock_timeout_s", 30.0))
    try:
        if args.get("announce"):
            Path(args["announce"]).touch()
        time.sleep(args.get("hold_s", 0))
        part = args["partition"]
        data = pa.table(
            {
                "id": pa.array(range(args["first"], args["first"] + args["count"]), pa.int64()),
                "_partition": pa.array([part] * args["count"]),
            }
        )
        request = LoadRequest(
            asset="src/shop/orders",
            table="shop__orders",
            partition=part,
            mode="replace_partition",
            batch_id=f"b-{part}",
            watermark_min=datetime(2025, 1, 1, tzinfo=UTC),
            watermark_max=datetime(2025, 1, 2, tzinfo=UTC),
        )
        warehouse.load(request, pa.RecordBatchReader.from_batches(data.schema, data.to_batches()))
    finally:
        warehouse.close()


JOBS = {"lake_commit": lake_commit, "duckdb_load": duckdb_load}

if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    JOBS[job.pop("job")](job)
