"""How long `grader check <assignment>` takes on the reference solution, quick profile, end to end.

Goal (issue 2): at most 10 s for `conv` on a 2-core machine. The peer measured in the same run is
a bare `python -c "import torch"`, the fixed cost any torch-based grader pays; the ratio shows how
much the checks themselves add. Run: .venv/bin/python bench/check_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 10.0


def seconds(command: list[str]) -> float:
    """Wall-clock seconds of one run of ``command`` (its exit status is ignored: failures are graded output)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    peer = statistics.median(seconds([sys.executable, "-c", "import torch"]) for _ in range(args.repeats))
    print(f"{'assignment':<10} {'check s':>8} {'import torch s':>15} {'ratio':>6}  goal")
    for assignment in ("conv", "pool", "params"):
        command = [sys.executable, "-m", "grader.cli", "check", assignment, f"reference/{assignment}.py"]
        took = statistics.median(seconds(command) for _ in range(args.repeats))
        goal = f"<= {GOAL_SECONDS:g} s: {'met' if took <= GOAL_SECONDS else 'NOT met'}" if assignment == "conv" else ""
        print(f"{assignment:<10} {took:>8.2f} {peer:>15.2f} {took / peer:>6.1f}  {goal}")


if __name__ == "__main__":
    main()
