"""Standardization (RAW -> SRC) in Polars."""

from strataflow.transform.src_partition import RawPartitionMissingError, SrcResult, build_src_partition
from strataflow.transform.standardize import META_COLUMNS, BatchContext, NullKeyError, standardize

__all__ = [
    "META_COLUMNS",
    "BatchContext",
    "NullKeyError",
    "RawPartitionMissingError",
    "SrcResult",
    "build_src_partition",
    "standardize",
]
