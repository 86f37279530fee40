"""Materialization metadata shared by the RAW and SRC assets."""

from __future__ import annotations

from typing import Any

from dagster import MetadataValue

from strataflow.lake import Manifest


def commit_metadata(manifest: Manifest, *, changed: bool, duration_s: float, lake_uri: str) -> dict[str, Any]:
    return {
        "batch_id": manifest.batch_id,
        "rows_out": manifest.rows,
        "bytes_written": MetadataValue.int(manifest.bytes if changed else 0),
        "partition_bytes": MetadataValue.int(manifest.bytes),
        "files": len(manifest.files),
        "watermark_min": manifest.watermark_min or "",
        "watermark_max": manifest.watermark_max or "",
        "duration_s": MetadataValue.float(round(duration_s, 3)),
        "changed": changed,
        "committed_at": manifest.committed_at,
        "lake_path": MetadataValue.path(lake_uri),
    }
