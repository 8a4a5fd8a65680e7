"""How long `grader check` takes end to end, on the reference and on correct loop-based submissions, at the quick
profile (a student's local check) and the thorough one (the official grade).

Goals (issue 15, measured on a 2-core machine when idle): the thorough `conv` grade of a correct loop-based
submission in at most 10 s, and the quick check of the `conv` reference in at most 3 s. The peer measured in the
same run is a bare `python -c "import torch"`, the fixed cost any torch-based grader pays (the grader imports torch
for its oracle, in student mode and instructor mode alike); "beyond torch" is what the grader adds to it.
Run: .venv/bin/python bench/check_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOOPS = "tests/fixtures/submissions/conv/correct_loops.py"
SEVEN_DEEP = "tests/fixtures/students/conv/loops_scalar_seven_deep.py"
# (assignment, submission, profile, goal in seconds or None)
RUNS = (
    ("conv", "reference/conv.py", "quick", 3.0),
    ("conv", LOOPS, "quick", None),
    ("conv", SEVEN_DEEP, "quick", None),
    ("conv", "reference/conv.py", "thorough", None),
    ("conv", LOOPS, "thorough", 10.0),
    ("conv", SEVEN_DEEP, "thorough", 10.0),
    ("pool", "reference/pool.py", "quick", None),
    ("params", "reference/params.py", "quick", None),
)


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
    print(f"import torch (peer): {peer:.2f} s, median of {args.repeats}")
    print(f"{'assignment':<8} {'submission':<52} {'profile':<9} {'check s':>8} {'beyond torch':>13}  goal")
    for assignment, submission, profile, goal in RUNS:
        command = [sys.executable, "-m", "grader.cli", "check", assignment, submission, "--profile", profile]
        took = statistics.median(seconds(command) for _ in range(args.repeats))
        verdict = f"<= {goal:g} s: {'met' if took <= goal else 'NOT met'}" if goal else ""
        print(f"{assignment:<8} {submission:<52} {profile:<9} {took:>8.2f} {took - peer:>13.2f}  {verdict}")


if __name__ == "__main__":
    main()
