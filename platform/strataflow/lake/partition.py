"""Atomic, idempotent partition commits: data files first, manifest last, leftovers swept after.

A partition's files are named after a content-addressed batch id, so re-running a partition on
unchanged data reproduces the same names and bytes (and leaves the committed partition untouched),
while changed data gets new names: the committed files are never overwritten before the new
manifest replaces the old one.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from strataflow.lake.manifest import MANIFEST_NAME, DataFile, Manifest
from strataflow.lake.storage import LakeStorage

ROWS_PER_FILE = 1_000_000
KEYS_SUFFIX = "_keys"  # raw/<source>/<table>/_keys: primary-key snapshots for hard-delete detection
# A small dictionary page limit: high-cardinality columns (ids, timestamps, amounts) fall back to plain
# encoding early instead of building a dictionary that is then abandoned (measured: -30% write CPU, -29% size).
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "write_statistics": True,
    "dictionary_pagesize_limit": 64 * 1024,
}


def partition_prefix(layer: str, source: str, table: str, partition: str) -> str:
    return f"{layer}/{source}/{table}/ingestion_date={partition}"


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    rows: int
    bytes: int
    sha256: str


class Spool:
    """Writes record batches as zstd Parquet parts to a local temp folder, in bounded memory."""

    def __init__(self, schema: pa.Schema, rows_per_file: int = ROWS_PER_FILE) -> None:
        self.schema = schema
        self.rows_per_file = rows_per_file
        self._dir = tempfile.TemporaryDirectory(prefix="strataflow-spool-")
        self._files: list[SpooledFile] = []
        self._writer: pq.ParquetWriter | None = None
        self._path: Path | None = None
        self._rows_in_file = 0

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, batch: pa.RecordBatch) -> None:
        offset = 0
        while offset < batch.num_rows:
            if self._writer is None:
                self._open()
            take = min(batch.num_rows - offset, self.rows_per_file - self._rows_in_file)
            self._writer.write_batch(batch.slice(offset, take))  # type: ignore[union-attr]
            self._rows_in_file += take
            offset += take
            if self._rows_in_file >= self.rows_per_file:
                self._seal()

    def write_all(self, batches: Iterable[pa.RecordBatch]) -> None:
        for batch in batches:
            self.write(batch)

    def finish(self) -> list[SpooledFile]:
        """Seal the open part; an empty result still gets one (empty) file so the schema is kept."""
        if self._writer is None and not self._files:
            self._open()
        if self._writer is not None:
            self._seal()
        return list(self._files)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._dir.cleanup()

    def _open(self) -> None:
        self._path = Path(self._dir.name) / f"part-{len(self._files)}.parquet"
        self._writer = pq.ParquetWriter(self._path, self.schema, **PARQUET_OPTIONS)
        self._rows_in_file = 0

    def _seal(self) -> None:
        assert self._writer is not None and self._path is not None
        self._writer.close()
        self._writer = None
        path = self._path
        self._files.append(SpooledFile(path, self._rows_in_file, path.stat().st_size, _sha256(path)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


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
    if previous is not None and previous.batch_id == batch_id:
        _sweep(storage, prefix, previous)
        return CommitResult(previous, changed=False)

    data_files = []
    for n, spooled in enumerate(files):
        name = f"{batch_id}-{n}.parquet"
        storage.upload(spooled.path, f"{prefix}/{name}")
        data_files.append(DataFile(name, spooled.rows, spooled.bytes, spooled.sha256))
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


def _sweep(storage: LakeStorage, prefix: str, manifest: Manifest) -> None:
    """Delete files the committed manifest does not name (an older batch, or a crashed run's files)."""
    keep = manifest.file_names() | {MANIFEST_NAME}
    for key in storage.list_files(prefix):
        if key.rsplit("/", 1)[-1] not in keep:
            storage.delete(key)


def committed_batches(storage: LakeStorage, prefix: str, manifest: Manifest) -> Iterator[pa.RecordBatch]:
    """Stream the committed files only: anything the manifest does not name is invisible."""
    for f in manifest.files:
        with storage.fs.open_input_file(storage.uri(f"{prefix}/{f.name}")) as handle:
            yield from pq.ParquetFile(handle).iter_batches()


def read_committed(storage: LakeStorage, prefix: str) -> tuple[Manifest, pa.Table] | None:
    manifest = read_manifest(storage, prefix)
    if manifest is None:
        return None
    tables = []
    for f in manifest.files:
        with storage.fs.open_input_file(storage.uri(f"{prefix}/{f.name}")) as handle:
            tables.append(pq.read_table(handle))
    return manifest, pa.concat_tables(tables)
