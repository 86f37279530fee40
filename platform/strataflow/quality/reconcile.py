"""Reconciliation of one partition: the source's row count for the window against RAW, SRC and the
warehouse, which must agree exactly once the documented exceptions are accounted for:

    RAW  = source                                   (rows whose watermark is in the window; full: the table)
    SRC  = RAW - duplicates dropped + hard deletes  (dedup by key keeps the latest version; a cdc table
                                                     adds a 'D' row per key that vanished from the source)
    warehouse = SRC                                 (rows of the partition; full: the whole table)

RAW and SRC are counted from the committed Parquet files themselves (their footers), not from the
manifests, so a file that lost rows after its commit shows up as a mismatch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow.parquet as pq

from strataflow.lake import LakeStorage, Manifest, partition_prefix, read_current


@dataclass(frozen=True)
class Reconciliation:
    source: int | None  # None when the source could not be counted
    raw: int | None
    src: int | None
    warehouse: int | None
    duplicates_dropped: int
    hard_deletes: int
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems

    def figures(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        head = (
            f"source {self.source}, RAW {self.raw}, SRC {self.src} (= RAW - {self.duplicates_dropped} duplicates "
            f"+ {self.hard_deletes} hard deletes), warehouse {self.warehouse}"
        )
        return head if self.passed else head + ": " + "; ".join(self.problems)


def committed_rows(storage: LakeStorage, prefix: str) -> tuple[Manifest, int] | None:
    """The committed manifest and the rows in its files, read from their Parquet footers; None when
    nothing is committed. Through read_current: a concurrent commit may sweep the files being counted."""

    def count(manifest: Manifest) -> tuple[Manifest, int]:
        total = 0
        for f in manifest.files:
            with storage.fs.open_input_file(storage.uri(f"{prefix}/{f.name}")) as handle:
                total += pq.ParquetFile(handle).metadata.num_rows
        return manifest, total

    return read_current(storage, prefix, count)


def reconcile(
    storage: LakeStorage,
    source: str,
    table: str,
    partition: str,
    *,
    source_rows: int | None,
    warehouse_rows: int | None,
) -> Reconciliation:
    problems: list[str] = []
    counts: dict[str, int | None] = {}
    manifests: dict[str, Manifest | None] = {}
    for layer in ("raw", "src"):
        prefix = partition_prefix(layer, source, table, partition)
        committed = committed_rows(storage, prefix)
        if committed is None:
            manifests[layer] = counts[layer] = None
            problems.append(f"{layer.upper()} partition {partition} is not committed")
            continue
        manifest, counts[layer] = committed
        manifests[layer] = manifest
        if counts[layer] != manifest.rows:
            problems.append(
                f"{layer.upper()} files hold {counts[layer]} rows but the manifest committed {manifest.rows}"
            )
    src_manifest = manifests["src"]
    extra = src_manifest.extra if src_manifest else {}
    duplicates = int(extra.get("duplicates_dropped", 0) or 0)
    hard_deletes = int(extra.get("hard_deletes", 0) or 0)
    raw, src = counts["raw"], counts["src"]
    if source_rows is not None and raw is not None and raw != source_rows:
        problems.append(f"source has {source_rows} rows for the partition, RAW {raw} (difference {raw - source_rows})")
    if raw is not None and src is not None and src != raw - duplicates + hard_deletes:
        expected = raw - duplicates + hard_deletes
        problems.append(f"SRC has {src} rows, expected {expected} = RAW {raw} - {duplicates} + {hard_deletes}")
    if warehouse_rows is not None and src is not None and warehouse_rows != src:
        problems.append(f"warehouse has {warehouse_rows} rows, SRC {src} (difference {warehouse_rows - src})")
    return Reconciliation(source_rows, raw, src, warehouse_rows, duplicates, hard_deletes, problems)
