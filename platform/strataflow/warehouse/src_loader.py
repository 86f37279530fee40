"""Load one committed SRC partition into the warehouse schema `src` (the SRC asset's last step)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from strataflow.config import TableRef
from strataflow.lake import Manifest
from strataflow.warehouse.base import LoadRequest, LoadResult, Warehouse


def load_src_partition(warehouse: Warehouse, ref: TableRef, manifest: Manifest, data: pa.Table) -> LoadResult:
    """Full snapshots replace the table; change logs replace just their partition. Always re-loaded,
    so a warehouse that missed a load converges on the next run of the partition."""
    request = LoadRequest(
        asset=f"src/{ref.source}/{ref.name}",
        table=ref.warehouse_table,
        partition=manifest.partition,
        mode="replace_table" if ref.config.load_type == "full" else "replace_partition",
        # The audit row carries the batch id the rows carry in `_batch_id` (the RAW batch), so they join.
        batch_id=str(manifest.extra.get("raw_batch_id") or manifest.batch_id),
        watermark_min=_parse(manifest.watermark_min),
        watermark_max=_parse(manifest.watermark_max),
    )
    return warehouse.load(request, pa.RecordBatchReader.from_batches(data.schema, data.to_batches(65_536)))


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
