"""How long `make test` takes, and whether the cores or the tests' waits set that time (issue 25).

Runs the README's test command (``make test``, with CI=true; the virtual environment already made) in this checkout
and reads the machine's CPU counters (/proc/stat) before and after, so CPU used by processes the suite does not reap
(warm daemons, Dask workers) counts too. It prints the wall time, the CPU-seconds the machine spent, how busy the
cores were, and the floor: the time the same CPU would take with every core busy throughout. Run it on an idle
machine: whatever else runs counts as the suite's.

    .venv/bin/python bench/suite_time.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from check_speed import cpu_ticks  # bench/, this script's folder, leads the import path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 8 * 60


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    command = ["make", "test"]
    idle_before, total_before = cpu_ticks()
    started = time.monotonic()
    run = subprocess.run(command, cwd=ROOT, env=dict(os.environ, CI="true"), capture_output=True, text=True)
    wall = time.monotonic() - started
    idle_after, total_after = cpu_ticks()
    tick = os.sysconf("SC_CLK_TCK")
    total = (total_after - total_before) / tick
    busy = total - (idle_after - idle_before) / tick
    cores = os.cpu_count() or 1
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:])
    print(f"wall {wall:.0f} s ({wall / 60:.1f} min; goal {GOAL_SECONDS / 60:.0f} min, ratio {wall / GOAL_SECONDS:.2f})")
    print(f"CPU {busy:.0f} s on {cores} cores, busy {100 * busy / max(total, 1e-9):.0f} % of the run")
    print(f"floor {busy / cores:.0f} s ({busy / cores / 60:.1f} min): this CPU with every core busy throughout")
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
