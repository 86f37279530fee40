"""The Dagster instance's dagster.yaml: run queue, concurrency pools and run monitoring.

DuckDB is a single-writer file: two runs writing one DuckDB warehouse at once would fail on its lock. Every
asset that writes the DuckDB warehouse declares `pool=DUCKDB_POOL`; with `granularity: run` the run queue
starts a run only when its pools have a free slot, so such runs queue and run one after the other (a
backfill while the schedule fires, two backfills). PostgreSQL and Snowflake assets declare no pool and run
side by side. Run monitoring marks runs whose process died as failed, so they never hold the slot forever."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

DUCKDB_POOL = "strataflow_duckdb_warehouse"
MAX_CONCURRENT_RUNS = 4

_HEADER = (
    "# Written by strataflow (strataflow.instance.ensure_instance_config); keys you add are kept, the keys\n"
    "# below are strataflow's: run queue, concurrency pools (DuckDB: one writer) and run monitoring.\n"
)


def instance_settings(max_concurrent_runs: int = MAX_CONCURRENT_RUNS) -> dict[str, Any]:
    """The dagster.yaml keys strataflow owns."""
    return {
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"},
        "concurrency": {
            # Only the DuckDB assets name a pool; every pool is limited to one run at a time.
            "pools": {"granularity": "run", "default_limit": 1},
            "runs": {"max_concurrent_runs": max_concurrent_runs},
        },
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 180,
            "cancel_timeout_seconds": 180,
            "max_resume_run_attempts": 0,  # the default run launcher cannot resume: a dead run is failed
            "poll_interval_seconds": 30,
        },
        "telemetry": {"enabled": False},
    }


def ensure_instance_config(dagster_home: str | os.PathLike[str] | None = None, **kwargs: Any) -> Path:
    """Write (or update) $DAGSTER_HOME/dagster.yaml with strataflow's settings; returns its path.

    Keys strataflow does not own (storage, run_launcher, compute_logs, ...) are kept as they are, so an
    operator's PostgreSQL storage survives. Idempotent: the file is rewritten only when something changes."""
    home = Path(dagster_home or os.environ.get("DAGSTER_HOME") or ".strataflow/dagster_home").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    current: dict[str, Any] = {}
    if path.exists():
        current = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    wanted = {**current, **instance_settings(**kwargs)}
    if isinstance(current.get("run_coordinator"), dict) and current["run_coordinator"].get("config"):
        # A max_concurrent_runs in the coordinator's config conflicts with concurrency.runs: keep ours.
        wanted["run_coordinator"] = instance_settings(**kwargs)["run_coordinator"]
    if wanted != current or not path.exists():
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(_HEADER + yaml.safe_dump(wanted, sort_keys=False), encoding="utf-8")
        os.replace(tmp, path)
    return path


def main(argv: list[str]) -> int:
    """`python -m strataflow.instance [DAGSTER_HOME]`: set up the instance `dagster dev` will use.

    Without an argument or DAGSTER_HOME it refuses: `dagster dev` would then use a folder of its own, and
    the settings written elsewhere would never reach its daemon."""
    home = argv[0] if argv else os.environ.get("DAGSTER_HOME")
    if not home:
        print(
            "Error: DAGSTER_HOME is not set.\nfix: export DAGSTER_HOME=<the instance folder dagster dev will use> "
            "(or pass it: python -m strataflow.instance <folder>), then run this again",
            file=sys.stderr,
        )
        return 2
    print(ensure_instance_config(home))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
