"""Atomic, idempotent partition commits on a local folder and on S3 (moto's server on loopback)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from strataflow.lake import LakeStorage, Spool, commit_partition, read_committed, read_manifest

PREFIX = "raw/shop/orders/ingestion_date=2025-01-01"


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> LakeStorage:
    """One writer per partition here, so leftovers are swept at once (no grace period); the
    concurrent-writer guarantees are in test_faults_concurrency.py."""
    if request.param == "local":
        storage = LakeStorage.local(tmp_path / "lake")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        storage = LakeStorage.s3(bucket, "lake", endpoint_url=endpoint)
    storage.sweep_grace_s = 0
    return storage


SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])


def batch(ids: range) -> pa.RecordBatch:
    return pa.record_batch([pa.array(list(ids), pa.int64()), pa.array([f"v{i}" for i in ids])], schema=SCHEMA)


def commit(storage: LakeStorage, ids: range, rows_per_file: int = 1_000_000):
    with Spool(SCHEMA, rows_per_file=rows_per_file) as spool:
        spool.write(batch(ids))
        return commit_partition(
            storage, layer="raw", source="shop", table="orders", partition="2025-01-01", files=spool.finish()
        )


def snapshot(storage: LakeStorage) -> dict[str, bytes]:
    return {key: storage.read_bytes(key) for key in storage.list_files(PREFIX)}


def test_commit_then_read_back(storage: LakeStorage) -> None:
    result = commit(storage, range(10), rows_per_file=4)
    assert result.changed
    manifest, table = read_committed(storage, PREFIX)
    assert manifest.rows == 10 and len(manifest.files) == 3
    assert table.column("id").to_pylist() == list(range(10))
    assert all(f.name.startswith(manifest.batch_id) for f in manifest.files)


def test_recommitting_the_same_data_leaves_identical_files(storage: LakeStorage) -> None:
    commit(storage, range(10))
    before = snapshot(storage)
    again = commit(storage, range(10))
    assert not again.changed
    assert snapshot(storage) == before


def test_new_data_replaces_the_partition_and_sweeps_the_old_batch(storage: LakeStorage) -> None:
    first = commit(storage, range(10)).manifest
    second = commit(storage, range(5)).manifest
    assert second.batch_id != first.batch_id
    assert sorted(storage.list_files(PREFIX)) == sorted(
        [f"{PREFIX}/{f.name}" for f in second.files] + [f"{PREFIX}/_manifest.json"]
    )
    assert read_committed(storage, PREFIX)[1].num_rows == 5


def test_crash_before_the_manifest_keeps_the_previous_state(
    storage: LakeStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = commit(storage, range(10)).manifest

    def crash(key: str, data: bytes) -> None:
        raise KeyboardInterrupt("killed between data files and manifest")

    monkeypatch.setattr(storage, "write_bytes_atomic", crash)
    with pytest.raises(KeyboardInterrupt):
        commit(storage, range(100, 120))
    monkeypatch.undo()

    # the new data files were written but are invisible: readers still see the committed batch
    assert len(storage.list_files(PREFIX)) == len(committed.files) + 2
    manifest, table = read_committed(storage, PREFIX)
    assert manifest == committed
    assert table.column("id").to_pylist() == list(range(10))

    # the next run completes the work: exactly the new rows, no duplicates, no leftovers
    finished = commit(storage, range(100, 120)).manifest
    manifest, table = read_committed(storage, PREFIX)
    assert table.column("id").to_pylist() == list(range(100, 120))
    assert len(storage.list_files(PREFIX)) == len(finished.files) + 1


def test_a_partition_without_manifest_is_invisible(storage: LakeStorage) -> None:
    assert read_manifest(storage, PREFIX) is None
    assert read_committed(storage, PREFIX) is None


def test_empty_partition_keeps_its_schema(storage: LakeStorage) -> None:
    commit(storage, range(0))
    manifest, table = read_committed(storage, PREFIX)
    assert manifest.rows == 0
    assert table.schema.names == ["id", "v"]
