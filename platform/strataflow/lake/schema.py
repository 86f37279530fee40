"""The Arrow schema of a committed partition, read from a Parquet footer (no data is read)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from strataflow.lake.manifest import Manifest
from strataflow.lake.partition import read_current
from strataflow.lake.storage import LakeStorage


def committed_schema(storage: LakeStorage, prefix: str, manifest: Manifest | None = None) -> pa.Schema | None:
    """The schema of the partition's first data file; None for a partition without files (or manifest).

    Through read_current: a concurrent commit may have swept the files of `manifest` meanwhile."""

    def read(current: Manifest) -> pa.Schema | None:
        if not current.files:
            return None
        with storage.fs.open_input_file(storage.uri(f"{prefix}/{current.files[0].name}")) as handle:
            return pq.read_schema(handle)

    return read_current(storage, prefix, read, manifest)
