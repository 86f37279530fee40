"""Atomic, idempotent partition commits: data files first, manifest last, leftovers swept after.

A partition's batch id is content-addressed, so re-running a partition on unchanged data finds the
committed manifest already holds it and changes nothing. Changed data is uploaded under names no
other commit uses (batch id + a per-commit token), so committed files are never overwritten.

Two writers may commit the same partition at once (a retry overlapping a stuck run, a backfill
overlapping the schedule). The last manifest written wins, and the lake stays readable because a
commit never deletes a file another writer's manifest may name:
- the sweep keeps every file the manifest *current at sweep time* names, and deletes other files
  only when they are older than a grace period (`LakeStorage.sweep_grace_s`, default 6 h): a file
  that young may belong to a commit still in flight, whose manifest is not written yet;
- a commit whose uploads took longer than half the grace period re-uploads its files (fresh
  timestamps) before writing its manifest, so no manifest ever names a file old enough to sweep.
Readers that find a file gone re-read the manifest (it was replaced meanwhile) and start over.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from strataflow.lake.manifest import MANIFEST_NAME, DataFile, Manifest
from strataflow.lake.spool import PARQUET_OPTIONS, ROWS_PER_FILE, Spool, SpooledFile
from strataflow.lake.storage import LakeStorage

__all__ = [
    "KEYS_SUFFIX",
    "PARQUET_OPTIONS",
    "ROWS_PER_FILE",
    "CommitResult",
    "Spool",
    "SpooledFile",
    "commit_partition",
    "committed_batches",
    "content_batch_id",
    "partition_prefix",
    "read_committed",
    "read_current",
    "read_manifest",
]

T = TypeVar("T")
log = logging.getLogger(__name__)
READ_ATTEMPTS = 3
KEYS_SUFFIX = "_keys"  # raw/<source>/<table>/_keys: primary-key snapshots for hard-delete detection


def partition_prefix(layer: str, source: str, table: str, partition: str) -> str:
    return f"{layer}/{source}/{table}/ingestion_date={partition}"


def content_batch_id(prefix: str, files: list[SpooledFile]) -> str:
    digest = hashlib.sha256(prefix.encode())
    for f in files:
        digest.update(f.sha256.encode())
    return "b" + digest.hexdigest()[:20]


def read_manifest(storage: LakeStorage, prefix: str) -> Manifest | None:
    key = f"{prefix}/{MANIFEST_NAME}"
    return Manifest.from_json(storage.read_bytes(key)) if storage.exists(key) else None


@dataclass(frozen=True)
class CommitResult:
    manifest: Manifest
    changed: bool  # False: the partition already held exactly this data


def commit_partition(
    storage: LakeStorage,
    *,
    layer: str,
    source: str,
    table: str,
    partition: str,
    files: list[SpooledFile],
    watermark_min: str | None = None,
    watermark_max: str | None = None,
    extra: dict[str, object] | None = None,
) -> CommitResult:
    prefix = partition_prefix(layer, source, table, partition)
    batch_id = content_batch_id(prefix, files)
    previous = read_manifest(storage, prefix)
    if previous is not None and previous.batch_id == batch_id and _all_present(storage, prefix, previous):
        _sweep(storage, prefix, previous)
        return CommitResult(previous, changed=False)

    token = uuid.uuid4().hex[:12]
    names = [f"{batch_id}-{token}-{n}.parquet" for n in range(len(files))]
    uploads_started = time.monotonic()
    for spooled, name in zip(files, names, strict=True):
        storage.upload(spooled.path, f"{prefix}/{name}")
    if 0 < storage.sweep_grace_s / 2 < time.monotonic() - uploads_started:
        # A concurrent sweep may by now consider the first uploads abandoned: refresh them all.
        log.warning("%s: uploads took longer than half the sweep grace period; re-uploading", prefix)
        for spooled, name in zip(files, names, strict=True):
            storage.upload(spooled.path, f"{prefix}/{name}")
    data_files = [DataFile(name, f.rows, f.bytes, f.sha256) for f, name in zip(files, names, strict=True)]
    manifest = Manifest(
        layer=layer,
        source=source,
        table=table,
        partition=partition,
        batch_id=batch_id,
        committed_at=datetime.now(UTC).isoformat(),
        rows=sum(f.rows for f in data_files),
        bytes=sum(f.bytes for f in data_files),
        files=data_files,
        watermark_min=watermark_min,
        watermark_max=watermark_max,
        extra=extra or {},
    )
    storage.write_bytes_atomic(f"{prefix}/{MANIFEST_NAME}", manifest.to_json())
    _sweep(storage, prefix, manifest)
    return CommitResult(manifest, changed=True)


def _all_present(storage: LakeStorage, prefix: str, manifest: Manifest) -> bool:
    """A committed manifest whose files are gone (damage from outside) is not a reason to skip a commit."""
    present = {key.rsplit("/", 1)[-1] for key in storage.list_files(prefix)}
    return manifest.file_names() <= present


def _sweep(storage: LakeStorage, prefix: str, own: Manifest) -> None:
    """Delete leftovers (older batches, crashed or losing commits) that no manifest can name any more.

    Kept: the files of our manifest, of the manifest committed now (another writer may have replaced
    ours), and every file younger than the grace period (a commit in flight may be about to name it).
    """
    current = read_manifest(storage, prefix)
    keep = own.file_names() | (current.file_names() if current else set()) | {MANIFEST_NAME}
    cutoff = datetime.now(UTC).timestamp() - storage.sweep_grace_s
    for key, mtime in storage.list_file_times(prefix):
        name = key.rsplit("/", 1)[-1]
        if name in keep or mtime is None or mtime > cutoff:
            continue
        with contextlib.suppress(FileNotFoundError):  # another writer's sweep got there first
            storage.delete(key)


def read_current(
    storage: LakeStorage, prefix: str, read: Callable[[Manifest], T], manifest: Manifest | None = None
) -> T | None:
    """Run read(manifest); if a file it names vanished because a newer manifest replaced it, start over.

    The one path every reader of committed files takes (a concurrent commit's sweep may delete the files
    of the manifest a reader just read). `manifest`: the one the caller already holds, tried first."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        if attempt > 1 or manifest is None:
            manifest = read_manifest(storage, prefix)
        if manifest is None:
            return None
        try:
            return read(manifest)
        except FileNotFoundError:
            if attempt == READ_ATTEMPTS or read_manifest(storage, prefix) == manifest:
                raise
            log.info("%s: the partition was re-committed while being read; reading the new commit", prefix)
    raise AssertionError("unreachable")


def committed_batches(storage: LakeStorage, prefix: str, manifest: Manifest) -> Iterator[pa.RecordBatch]:
    """Stream the committed files only: anything the manifest does not name is invisible."""
    for f in manifest.files:
        with storage.fs.open_input_file(storage.uri(f"{prefix}/{f.name}")) as handle:
            yield from pq.ParquetFile(handle).iter_batches()


def read_committed(storage: LakeStorage, prefix: str) -> tuple[Manifest, pa.Table] | None:
    def read(manifest: Manifest) -> tuple[Manifest, pa.Table]:
        tables = []
        for f in manifest.files:
            with storage.fs.open_input_file(storage.uri(f"{prefix}/{f.name}")) as handle:
                tables.append(pq.read_table(handle))
        return manifest, pa.concat_tables(tables)

    return read_current(storage, prefix, read)
