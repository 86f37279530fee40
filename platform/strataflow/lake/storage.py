"""A lake root on a local folder or S3, through pyarrow's filesystems (one code path for both)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

# Files no manifest names are deleted only once they are this old: a younger one may belong to a
# commit still uploading (see lake/partition.py). Leftovers of a failed run wait this long.
SWEEP_GRACE_S = 6 * 3600.0


class LakeStorage:
    """Paths are '/'-joined keys below the root; writes of small objects (manifests) are atomic.

    `spool_dir`: where partitions are spooled locally before upload (None: the system temp folder);
    `sweep_grace_s`: the age below which unreferenced files are never swept (0: sweep at once; only
    safe with one writer per partition)."""

    def __init__(
        self,
        fs: pafs.FileSystem,
        root: str,
        *,
        atomic_rename: bool,
        spool_dir: Path | None = None,
        sweep_grace_s: float = SWEEP_GRACE_S,
    ) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self._atomic_rename = atomic_rename
        self.spool_dir = spool_dir
        self.sweep_grace_s = sweep_grace_s

    @classmethod
    def local(cls, path: str | Path) -> LakeStorage:
        root = Path(path).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return cls(pafs.LocalFileSystem(), root.as_posix(), atomic_rename=True)

    @classmethod
    def s3(
        cls,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> LakeStorage:
        """Credentials: explicit, else the AWS default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY...)."""
        kwargs: dict[str, object] = {"region": region}
        access_key = access_key or os.environ.get("AWS_ACCESS_KEY_ID")
        secret_key = secret_key or os.environ.get("AWS_SECRET_ACCESS_KEY")
        if access_key and secret_key:
            kwargs.update(access_key=access_key, secret_key=secret_key)
        if endpoint_url:
            parsed = urlparse(endpoint_url)
            kwargs.update(endpoint_override=parsed.netloc or parsed.path, scheme=parsed.scheme or "https")
        fs = pafs.S3FileSystem(**kwargs)
        root = "/".join(p for p in (bucket, prefix.strip("/")) if p)
        return cls(fs, root, atomic_rename=False)

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}"

    def exists(self, key: str) -> bool:
        return self.fs.get_file_info(self.uri(key)).type != pafs.FileType.NotFound

    def read_bytes(self, key: str) -> bytes:
        with self.fs.open_input_stream(self.uri(key)) as stream:
            return stream.read()

    def write_bytes_atomic(self, key: str, data: bytes) -> None:
        """Readers see the old object or the new one, never a partial one."""
        target = self.uri(key)
        self.fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
        if not self._atomic_rename:  # an S3 PUT replaces the object atomically
            with self.fs.open_output_stream(target) as out:
                out.write(data)
            return
        tmp = f"{target}.tmp-{uuid.uuid4().hex}"
        with self.fs.open_output_stream(tmp) as out:
            out.write(data)
        self.fs.move(tmp, target)

    def upload(self, local_path: Path, key: str) -> None:
        target = self.uri(key)
        self.fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
        with open(local_path, "rb") as src, self.fs.open_output_stream(target) as out:
            shutil.copyfileobj(src, out, length=8 * 1024 * 1024)

    def list_files(self, prefix: str) -> list[str]:
        """Keys of the files directly below prefix (relative to the root); empty if prefix is absent."""
        selector = pafs.FileSelector(self.uri(prefix), allow_not_found=True, recursive=False)
        return sorted(
            info.path[len(self.root) + 1 :]
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

    def list_file_times(self, prefix: str) -> list[tuple[str, float | None]]:
        """(key, modification time as a UTC epoch) of the files directly below prefix."""
        selector = pafs.FileSelector(self.uri(prefix), allow_not_found=True, recursive=False)
        return sorted(
            (info.path[len(self.root) + 1 :], info.mtime.timestamp() if info.mtime else None)
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

    def delete(self, key: str) -> None:
        self.fs.delete_file(self.uri(key))
