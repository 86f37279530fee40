"""The Arrow schema of a committed partition, read from a Parquet footer (no data is read)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from strataflow.lake.manifest import Manifest
from strataflow.lake.storage import LakeStorage


def committed_schema(storage: LakeStorage, prefix: str, manifest: Manifest) -> pa.Schema | None:
    """The schema of the partition's first data file; None for a partition without files."""
    if not manifest.files:
        return None
    with storage.fs.open_input_file(storage.uri(f"{prefix}/{manifest.files[0].name}")) as handle:
        return pq.read_schema(handle)
