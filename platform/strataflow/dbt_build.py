"""The dbt build folder: where dbt parses and runs, outside the checkout.

Loading definitions must never modify tracked files, and two registries (or two processes) must not
clobber each other's generated sources or manifest. So dbt never runs in `dbt/` itself: each
(dbt project, configs folder, environment) gets a build folder, `$STRATAFLOW_DBT_BUILD_DIR` or
`$STRATAFLOW_HOME/dbt-build/<hash>` (STRATAFLOW_HOME defaults to `.strataflow` next to `configs/`).
It holds symlinks to the project's files (edits show up at once), the sources generated from the
registry in `models/sources/` (the checkout's own `models/sources/` is not mirrored), dbt's
`target/` and `logs/`, and the fingerprint of every input of the last parse. A manifest is stale
when that fingerprint differs: a file added, edited or deleted, a source added or removed, another
target. A file lock serializes processes preparing the same folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from strataflow.config import Project
from strataflow.connections import resolve_path
from strataflow.dbt_runtime import dbt_dir, dbt_env, dbt_executable
from strataflow.warehouse.dbt_sources import write_sources

# What of the dbt project is mirrored; models/sources/ is generated in the build folder instead.
PROJECT_ITEMS = ("dbt_project.yml", "profiles.yml", "packages.yml", "selectors.yml", "dependencies.yml")
PROJECT_FOLDERS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
GENERATED = Path("models") / "sources"
OWN_ITEMS = {"target", "logs", "dbt_packages", ".user.yml", ".lock"}  # dbt's and ours: never pruned
FINGERPRINT = "strataflow_fingerprint"


@dataclass(frozen=True)
class DbtBuild:
    """A prepared build folder: dbt's --project-dir and --profiles-dir, and its parsed manifest."""

    dir: Path
    source_dir: Path

    @property
    def manifest(self) -> Path:
        return self.dir / "target" / "manifest.json"

    def has_models(self) -> bool:
        """Whether any model is enabled (the demo's are disabled when `shop` is not configured)."""
        nodes = json.loads(self.manifest.read_text())["nodes"]
        return any(unique_id.startswith("model.") for unique_id in nodes)


def build_dir(project: Project, source_dir: Path) -> Path:
    if explicit := os.environ.get("STRATAFLOW_DBT_BUILD_DIR"):
        return Path(explicit).expanduser().resolve()
    home = os.environ.get("STRATAFLOW_HOME")
    root = Path(home).expanduser().resolve() if home else resolve_path(project, ".strataflow")
    key = f"{source_dir.resolve()}|{project.configs_dir.resolve()}|{project.env_name}"
    return root / "dbt-build" / hashlib.sha256(key.encode()).hexdigest()[:12]


def prepare_dbt_build(project: Project, source_dir: Path | None = None) -> DbtBuild:
    """Mirror, regenerate the sources, and re-parse when the fingerprint of the inputs changed."""
    source_dir = (source_dir or dbt_dir()).resolve()
    build = DbtBuild(build_dir(project, source_dir), source_dir)
    build.dir.mkdir(parents=True, exist_ok=True)
    env = dbt_env(project)
    with _locked(build.dir / ".lock"):
        files = mirror(source_dir, build.dir)
        write_sources(project, build.dir)
        target = project.environment.warehouse.kind
        fingerprint = _fingerprint(build.dir, files, env, target)
        stamp = build.dir / "target" / FINGERPRINT
        if build.manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            return build
        _parse(build.dir, env, target)
        stamp.write_text(fingerprint)
    return build


def mirror(source_dir: Path, target: Path) -> list[Path]:
    """Symlink every project file into `target` (same relative path); drop links to files that are gone.
    Returns the mirrored relative paths."""
    wanted: list[Path] = [Path(n) for n in PROJECT_ITEMS if (source_dir / n).is_file()]
    for folder in PROJECT_FOLDERS:
        base = source_dir / folder
        if base.is_dir():
            wanted += [
                p.relative_to(source_dir)
                for p in base.rglob("*")
                if p.is_file() and not p.relative_to(source_dir).is_relative_to(GENERATED)
            ]
    wanted_set = set(wanted)
    for rel in wanted:
        link = target / rel
        dest = source_dir / rel
        if link.is_symlink() and Path(os.readlink(link)) == dest:
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(dest)
    for path in sorted(target.rglob("*"), reverse=True):  # children before their folders
        rel = path.relative_to(target)
        if rel.parts[0] in OWN_ITEMS or rel.is_relative_to(GENERATED):
            continue
        if path.is_symlink() and rel not in wanted_set:
            path.unlink()
        elif path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()
    return sorted(wanted)


def _fingerprint(build: Path, files: list[Path], env: dict[str, str], target: str) -> str:
    """Every input of a parse: each mirrored file's path, size and mtime, the generated sources' text and
    the dbt env (hashed: it may hold a password)."""
    digest = hashlib.sha256(f"--target {target}\n".encode())
    for rel in files:
        stat = (build / rel).stat()
        digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for generated in sorted((build / GENERATED).glob("*.yml")):
        digest.update(generated.name.encode() + b"\0" + generated.read_bytes())
    for key in sorted(env):
        digest.update(f"{key}={env[key]}\n".encode())
    return digest.hexdigest()


def _parse(project_dir: Path, env: dict[str, str], target: str) -> None:
    """`--target` as the runs pass it: dbt keeps the parse (partial parsing) only when the target,
    profile and --vars of a run equal the parse's, else every run re-parses the whole project."""
    result = subprocess.run(
        [
            str(dbt_executable()),
            "parse",
            "--quiet",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target",
            target,
        ],
        cwd=project_dir,
        env={**os.environ, **env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{result.stdout}\n{result.stderr}")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
