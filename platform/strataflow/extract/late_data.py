"""Late data: which already-extracted partitions of a table no longer match their source.

Compares the fingerprint recorded in each RAW manifest at extract time with the source's current one
(strataflow.extract.fingerprint). Partitions extracted before fingerprints were recorded are skipped."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from strataflow.config.loader import TableRef
from strataflow.extract.fingerprint import Fingerprint, changed_partitions, recorded_fingerprint, source_fingerprints
from strataflow.lake import LakeStorage, partition_prefix, read_manifest


@dataclass(frozen=True)
class LateChange:
    table: str
    partition: str
    recorded: Fingerprint
    current: Fingerprint

    def reason(self) -> str:
        return (
            f"{self.table} {self.partition}: extracted {self.recorded.describe()}, source now {self.current.describe()}"
        )


@dataclass(frozen=True)
class LateDataScan:
    changes: list[LateChange]
    compared: int
    source_query_s: float


def scan_table(
    reader: object, storage: LakeStorage, ref: TableRef, partitions: Sequence[str], timezone: str
) -> LateDataScan:
    """Fingerprint the given (already materialized) partitions of one table and return those that changed."""
    cfg = ref.config
    recorded: dict[str, Fingerprint] = {}
    for key in partitions:
        manifest = read_manifest(storage, partition_prefix("raw", ref.source, cfg.name, key))
        fp = recorded_fingerprint(manifest.extra) if manifest else None
        if fp is not None:
            recorded[key] = fp
    if not recorded or not cfg.watermark:
        return LateDataScan([], 0, 0.0)
    started = time.perf_counter()
    current = source_fingerprints(reader, cfg.name, cfg.watermark, list(recorded), cfg.partitioning.grain, timezone)
    elapsed = time.perf_counter() - started
    changes = [
        LateChange(cfg.name, key, old, new) for key, (old, new) in sorted(changed_partitions(recorded, current).items())
    ]
    return LateDataScan(changes, len(recorded), elapsed)
