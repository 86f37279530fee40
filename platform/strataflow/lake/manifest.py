"""The partition manifest: the only thing that makes a partition's data files visible."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

MANIFEST_NAME = "_manifest.json"


@dataclass(frozen=True)
class DataFile:
    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    layer: str
    source: str
    table: str
    partition: str
    batch_id: str
    committed_at: str
    rows: int
    bytes: int
    files: list[DataFile]
    watermark_min: str | None = None
    watermark_max: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = json.loads(data)
        raw["files"] = [DataFile(**f) for f in raw["files"]]
        return cls(**raw)

    def file_names(self) -> set[str]:
        return {f.name for f in self.files}
