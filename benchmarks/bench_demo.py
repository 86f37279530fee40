"""Benchmark: `strataflow demo` from a fresh home, as a new user runs it, with its phase breakdown.

Runs `strataflow demo --quiet --home <fresh temp dir>` as a subprocess (so Python start-up and imports are
counted), `--repeat` times, and prints the wall time of each run plus the demo's own breakdown (definitions
incl. dbt parse when needed, source generation + simulation, RAW/SRC runs, the one dbt run). The dbt
manifest in dbt/target is left as found: the first run after an edit of the dbt project pays one parse.

    .venv/bin/python benchmarks/bench_demo.py [--repeat 1] [--scale 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_once(home: Path, scale: int) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "STRATAFLOW_HOME", "STRATAFLOW_ENV")}
    env["COLUMNS"] = "200"
    started = time.monotonic()
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("strataflow")),
            "demo",
            "--quiet",
            "--home",
            str(home),
            "--scale",
            str(scale),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    if out.returncode != 0:
        raise SystemExit(f"demo failed:\n{out.stdout}\n{out.stderr}")
    return wall, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the last home here")
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    for n in range(args.repeat):
        home = Path(tempfile.mkdtemp(prefix="strataflow-demo-"))
        try:
            wall, stdout = run_once(home, args.scale)
            elapsed = re.search(r"elapsed\s*│?\s*(.*?\))", stdout)
            print(f"run {n + 1}: wall {wall:.1f}s; demo's breakdown: {elapsed.group(1) if elapsed else '?'}")
            if args.keep and n == args.repeat - 1:
                shutil.rmtree(args.keep, ignore_errors=True)
                shutil.copytree(home, args.keep)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
