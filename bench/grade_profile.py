"""Where the time of one `grader check` goes: start-up (the interpreter, torch, the grader and its suite), then
grading, split by a profile into drawing inputs (Hypothesis' strategies), Hypothesis' own bookkeeping, the sandbox
round trips (the student's code included), the oracle, comparing, diagnosing and shrinking.

Start-up is timed directly: a bare `python -c pass` (peer), `import torch`, then the grader and the suite. Grading
is timed twice: once plainly (the wall time reported), once under cProfile to split it. cProfile slows Python code
far more than numpy's and torch's C, so the split is given as shares of the profiled run, applied to the plain
wall time: read it as where the time goes, not as exact seconds.

Run: .venv/bin/python bench/grade_profile.py [--assignment conv] [--profile thorough] [SUBMISSION]
(default submission: tests/fixtures/submissions/<assignment>/correct_loops.py).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHECKS = ("grader/checking.py", "grader/runner.py")  # where one check runs (runner.py before it was split)
# (label, how to find the function in the profile: a path fragment and a function name). Each part's cumulative
# time counts once: these functions do not call one another, except where the subtraction below says so.
PARTS = {
    "draw": ("hypothesis/control.py", "prep_args_kwargs_from_strategies"),
    "bodies": (CHECKS, "body"),  # Attempts.body: one check on one input
    "sandbox": ("grader/sandbox/process.py", "_invoke"),
    "diagnose": ("grader/diagnosis.py", "diagnose"),
    "shrink": ("hypothesis/internal/conjecture/shrinker.py", "shrink"),
    "engine": ("hypothesis/core.py", "wrapped_test"),  # a whole Hypothesis test: fixed examples, generation, shrinking
}


def seconds_of(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def cumulative(stats: pstats.Stats, paths: str | tuple[str, ...], name: str) -> float:
    """Cumulative seconds of the functions called ``name`` in files whose path holds one of ``paths``, outermost
    calls only (pstats' cumtime already excludes recursive re-entries)."""
    paths = (paths,) if isinstance(paths, str) else paths
    return sum(entry[3] for (file, _, function), entry in stats.stats.items()  # type: ignore[attr-defined]
               if function == name and any(path in file for path in paths))


def oracle_seconds(stats: pstats.Stats) -> float:
    """Cumulative seconds in the oracles' methods (the suites' oracles.py and reference/), outermost calls only."""
    total = 0.0
    for (file, _, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        callers = entry[4]
        if (file.endswith("oracles.py") or "/reference/" in file) and not function.startswith("<") and not any(
                caller[0].endswith("oracles.py") or "/reference/" in caller[0] for caller in callers):
            total += entry[3]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", type=Path)
    parser.add_argument("--assignment", default="conv")
    parser.add_argument("--profile", default="thorough", choices=("quick", "thorough"))
    args = parser.parse_args()
    submission = args.submission or ROOT / "tests" / "fixtures" / "submissions" / args.assignment / "correct_loops.py"

    interpreter = min(seconds_of([sys.executable, "-c", "pass"]) for _ in range(3))
    started = time.perf_counter()
    importlib.import_module("torch")  # timed: the fixed cost of any torch-based grader
    torch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    from grader.runner import grade
    from grader.settings import Settings
    from grader.suites import get_suite
    get_suite(args.assignment)
    grader_seconds = time.perf_counter() - started

    settings = Settings(args.profile)
    started = time.perf_counter()
    report = grade(args.assignment, submission, settings)
    wall = time.perf_counter() - started
    profiler = cProfile.Profile()
    profiler.enable()
    grade(args.assignment, submission, settings)
    profiler.disable()
    stats = pstats.Stats(profiler)
    profiled = sum(entry[3] for (file, _, function), entry in stats.stats.items()  # type: ignore[attr-defined]
                   if function == "grade" and file.endswith("grader/runner.py"))
    part = {label: cumulative(stats, *where) for label, where in PARTS.items()}
    oracle = oracle_seconds(stats)
    split = {
        "drawing inputs (Hypothesis strategies)": part["draw"],
        "Hypothesis bookkeeping (its test runs minus drawing, checks, shrinking)": part["engine"] - part["draw"]
        - part["bodies"] - part["shrink"],
        "sandbox round trips (the student's code included)": part["sandbox"],
        "oracle (expected values)": oracle,
        "comparing and the rest of the check bodies": part["bodies"] - part["sandbox"] - oracle,
        "shrinking failures": part["shrink"],
        "diagnosing failures": part["diagnose"],
    }
    split["the rest (sandbox start, loading, reports)"] = profiled - sum(split.values())

    shown = submission.relative_to(ROOT) if submission.is_relative_to(ROOT) else submission
    print(f"{args.assignment}, {args.profile} profile, {shown}: {report.score:g}/{report.max_score:g} points")
    print(f"{'part':<72} {'seconds':>8} {'share':>6}")
    print(f"{'start-up: python -c pass (peer)':<72} {interpreter:8.2f}")
    print(f"{'start-up: import torch':<72} {torch_seconds:8.2f}")
    print(f"{'start-up: import the grader and the suite':<72} {grader_seconds:8.2f}")
    print(f"{'grading (plain wall time), split as in the profiled run:':<72} {wall:8.2f} {'100 %':>6}")
    for label, seconds in split.items():
        print(f"{'  ' + label:<72} {wall * seconds / profiled:8.2f} {100 * seconds / profiled:5.1f}%")
    total = interpreter + torch_seconds + grader_seconds + wall
    print(f"{'total (start-up + grading)':<72} {total:8.2f}")


if __name__ == "__main__":
    main()
