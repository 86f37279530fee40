"""The Parquet lake: local folder or S3, content-addressed batches, manifest-last atomic commits."""

from strataflow.lake.manifest import MANIFEST_NAME, DataFile, Manifest
from strataflow.lake.partition import (
    KEYS_SUFFIX,
    CommitResult,
    Spool,
    commit_partition,
    committed_batches,
    partition_prefix,
    read_committed,
    read_current,
    read_manifest,
)
from strataflow.lake.spool import clean_stale_spools
from strataflow.lake.storage import SWEEP_GRACE_S, LakeStorage

__all__ = [
    "KEYS_SUFFIX",
    "MANIFEST_NAME",
    "SWEEP_GRACE_S",
    "CommitResult",
    "DataFile",
    "LakeStorage",
    "Manifest",
    "Spool",
    "clean_stale_spools",
    "commit_partition",
    "committed_batches",
    "partition_prefix",
    "read_committed",
    "read_current",
    "read_manifest",
]
