"""Which dbt models are partitioned and which are rebuilt in full, read from the manifest.

A model is partitioned when its data is built window by window: it is incremental, or it reads the run's
partition window (`partition_window`/`incremental_window` in its SQL, e.g. `ain_changed_keys`). Every model
upstream of a partitioned one is partitioned too (VIN views are rebuilt by the same run that reads them).
Everything else (tables and views rebuilt from the whole warehouse every run: marts, `vlt_sat_category`)
is unpartitioned: a backfill builds it once after its partitioned parents, and the UI shows it as one
table, not as hundreds of daily partitions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WINDOW_MACROS = ("partition_window", "incremental_window")


@dataclass(frozen=True)
class ModelSplit:
    partitioned: tuple[str, ...]  # model names, sorted
    full: tuple[str, ...]
    fqns: dict[str, tuple[str, ...]]  # part -> the models' fully qualified names (one per version)

    def select(self, part: str) -> str:
        """A dbt `--select` string of one part's models, by fqn: a plain name selects every version of a
        versioned model in dbt but none in dagster-dbt's own resolution."""
        return " ".join(f"fqn:{f}" for f in self.fqns[part])


def _reads_window(node: Mapping[str, Any]) -> bool:
    if node["config"].get("materialized") == "incremental":
        return True
    code = node.get("raw_code") or ""
    return any(m in code for m in WINDOW_MACROS)


def split_models(manifest: Mapping[str, Any]) -> ModelSplit:
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    parents = {uid: [d for d in n["depends_on"]["nodes"] if d in models] for uid, n in models.items()}
    partitioned: set[str] = set()
    todo = [uid for uid, n in models.items() if _reads_window(n)]
    while todo:
        uid = todo.pop()
        if uid not in partitioned:
            partitioned.add(uid)
            todo.extend(parents[uid])
    names = {uid: n["name"] for uid, n in models.items()}
    full = [u for u in models if u not in partitioned]
    return ModelSplit(
        partitioned=tuple(sorted({names[u] for u in partitioned})),
        full=tuple(sorted({names[u] for u in full})),
        fqns={
            "partitioned": tuple(sorted(".".join(models[u]["fqn"]) for u in partitioned)),
            "full": tuple(sorted(".".join(models[u]["fqn"]) for u in full)),
        },
    )


def split_manifest(path: Path) -> ModelSplit:
    return split_models(json.loads(path.read_text()))
