"""Standardization (RAW -> SRC) in Polars."""

from strataflow.transform.src_partition import RawPartitionMissingError, Standardized, src_schema, standardize_partition
from strataflow.transform.standardize import META_COLUMNS, BatchContext, NullKeyError, standardize

__all__ = [
    "META_COLUMNS",
    "BatchContext",
    "NullKeyError",
    "RawPartitionMissingError",
    "Standardized",
    "src_schema",
    "standardize",
    "standardize_partition",
]
