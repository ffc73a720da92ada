"""Run every benchmark in sequence (``make bench``).

    uv run python bench/run_all.py [--quick] [--skip grader,ratelimit,pipeline,web,load]

grader_speed.py (pure grader, one core), pipeline.py (Celery + Redis + PostgreSQL),
web.py (gunicorn + PostgreSQL) and load.py (simulated candidates). Each script starts
and stops its own servers and workers; figures are printed and written as JSON under
var/bench/. ``--quick`` shortens every run (a smoke test, not figures to quote).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

FULL = {
    "grader": ["grader_speed.py"],
    "ratelimit": ["ratelimit.py"],
    "pipeline": ["pipeline.py"],
    "web": ["web.py"],
    "load": ["load.py"],
}
QUICK = {
    "grader": ["grader_speed.py", "--answers", "1000", "--repeat", "2"],
    "ratelimit": ["ratelimit.py", "--hits", "500"],
    "pipeline": ["pipeline.py", "--answers", "500", "--rounds", "1", "--seconds", "5"],
    "web": ["web.py", "--seconds", "3", "--rounds", "1"],
    "load": ["load.py", "--steps", "20,50", "--seconds", "15"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", default="", help="comma-separated names of: " + ", ".join(FULL))
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    plan = QUICK if args.quick else FULL
    failed = []
    for name, command in plan.items():
        if name in skip:
            continue
        print(f"\n===== {name}: {' '.join(command)}", flush=True)
        started = time.monotonic()
        # Each script runs in its own process so one's servers never outlive it.
        code = subprocess.call([sys.executable, str(BENCH / command[0]), *command[1:]])
        print(f"===== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
