"""Races between real processes: two commits of one lake partition, two loads of one DuckDB file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fault_workers import LAKE_PREFIX, open_lake, spawn, succeed, wait_until_exists
from strataflow.lake import MANIFEST_NAME, LakeStorage, read_committed, read_manifest
from strataflow.lake.schema import committed_schema
from strataflow.quality.reconcile import reconcile


@pytest.fixture(params=["local", "s3"])
def lake_spec(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if request.param == "local":
        return {"kind": "local", "path": str(tmp_path / "lake")}
    return {
        "kind": "s3",
        "bucket": request.getfixturevalue("s3_bucket"),
        "endpoint": request.getfixturevalue("s3_endpoint"),
    }


def ids_of(storage: LakeStorage) -> list[int]:
    committed = read_committed(storage, LAKE_PREFIX)
    assert committed is not None
    return committed[1].column("id").to_pylist()


def test_a_commit_never_deletes_the_files_of_a_commit_in_flight(lake_spec: dict[str, Any], tmp_path: Path) -> None:
    """A uploads its files and pauses before its manifest; B commits other data completely (and
    sweeps); then A writes its manifest. A's manifest must name files that still exist."""
    paused, go = tmp_path / "a-paused", tmp_path / "a-go"
    a = spawn(
        {"job": "lake_commit", "lake": lake_spec, "first": 0, "count": 50, "tag": "a", "rows_per_file": 20}
        | {"announce": str(paused), "wait_for": str(go)}
    )
    wait_until_exists(paused, a)
    succeed(spawn({"job": "lake_commit", "lake": lake_spec, "first": 1000, "count": 30, "tag": "b"}))
    storage = open_lake(lake_spec)
    assert ids_of(storage) == list(range(1000, 1030))  # B committed while A was in flight
    go.touch()
    succeed(a)
    assert ids_of(storage) == list(range(50))  # the last manifest wins, and every file it names exists
    manifest = read_manifest(storage, LAKE_PREFIX)
    present = {key.rsplit("/", 1)[-1] for key in storage.list_files(LAKE_PREFIX)}
    assert manifest is not None and manifest.file_names() <= present


def test_two_writers_racing_leave_a_readable_partition(tmp_path: Path) -> None:
    """Two processes re-commit one partition with changing data while this process keeps reading it."""
    spec = {"kind": "local", "path": str(tmp_path / "lake")}
    writers = [
        spawn(
            {
                "job": "lake_commit",
                "lake": spec,
                "first": first,
                "count": 40,
                "tag": tag,
                "rounds": 8,
                "rows_per_file": 7,
            }
        )
        for first, tag in ((0, "a"), (500, "b"))
    ]
    storage = open_lake(spec)
    expected = {tuple(range(f + o, f + o + 40)) for f in (0, 500) for o in (0, 1)}
    reads = 0
    while any(w.poll() is None for w in writers):
        if read_manifest(storage, LAKE_PREFIX) is not None:
            assert tuple(ids_of(storage)) in expected
            reads += 1
    for w in writers:
        succeed(w)
    assert tuple(ids_of(storage)) in expected
    assert reads > 0


@pytest.mark.parametrize("reader", ["read_committed", "reconcile", "committed_schema"])
def test_lake_readers_reread_a_manifest_replaced_mid_read(reader: str, tmp_path: Path) -> None:
    """Between a reader's manifest read and its file reads, another process commits the partition and
    sweeps the old files at once: every reader of committed files re-reads the manifest and returns the
    new commit (reconcile's footer count and the RAW schema failed before with FileNotFoundError)."""
    spec = {"kind": "local", "path": str(tmp_path / "lake")}
    succeed(spawn({"job": "lake_commit", "lake": spec, "first": 0, "count": 50, "tag": "a"}))
    storage = open_lake(spec)
    manifest_key = f"{LAKE_PREFIX}/{MANIFEST_NAME}"
    real_read = storage.read_bytes
    replaced: list[bool] = []

    def read_then_replaced(key: str) -> bytes:
        data = real_read(key)
        if key == manifest_key and not replaced:
            replaced.append(True)
            job = {"job": "lake_commit", "lake": spec, "first": 1000, "count": 30, "tag": "b", "sweep_grace_s": 0}
            succeed(spawn(job))
        return data

    storage.read_bytes = read_then_replaced  # type: ignore[method-assign]
    if reader == "read_committed":
        committed = read_committed(storage, LAKE_PREFIX)
        assert committed is not None and committed[1].column("id").to_pylist() == list(range(1000, 1030))
    elif reader == "reconcile":
        result = reconcile(storage, "shop", "orders", "2025-01-01", source_rows=30, warehouse_rows=None)
        assert result.raw == 30 and result.problems == ["SRC partition 2025-01-01 is not committed"]
    else:
        schema = committed_schema(storage, LAKE_PREFIX, read_manifest(storage, LAKE_PREFIX))
        assert schema is not None and schema.names == ["id", "v"]
    assert replaced  # the old commit's files were gone when the reader opened them
    old_files = [k for k in storage.list_files(LAKE_PREFIX) if k.endswith(".parquet")]
    assert len(old_files) == 1  # only the new commit's file is left
