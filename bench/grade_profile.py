"""Where the time of one `grader check` goes: cold (a fresh process, as `grader check --no-daemon` grades) and warm
(the same grade again in the same process, as the warm grader answers a repeated check).

Cold, timed directly in this fresh process, in the order a check runs: the interpreter (`python -c pass`, run
apart), importing the grader and the suite (without torch: the numpy assignments' oracles import it on first use),
then the grade, within which the sandbox's start (the zygote, the child, loading the submission) and the time the
grade waited for torch, whose import runs on a thread from the moment the oracle is made (its own duration is shown
too), then rendering the reports (terminal, results.json, HTML, Markdown).

Warm: the same grade again, once plainly (the wall time shown) and once under cProfile, whose shares split it:
drawing inputs (Hypothesis' strategies), Hypothesis' own bookkeeping, the sandbox round trips (the student's code
included), the oracle, comparing, shrinking and diagnosing failures. cProfile slows Python code far more than numpy's
and torch's C, so read the split as where the time goes, not as exact seconds. torch runs with one thread, as
`grader check` and the warm grader run it.

Run: .venv/bin/python bench/grade_profile.py [--assignment conv] [--profile thorough] [SUBMISSION]
(default submission: tests/fixtures/submissions/<assignment>/correct_loops.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as grader check and the warm grader run torch: before it loads

import argparse
import cProfile
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

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


class Stopwatch:
    """Adds up the wall time spent in the methods it wraps, by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, label: str, only_if: Callable[..., bool] = lambda *first: True) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if not only_if(*args[:1]):
                return original(*args, **kwargs)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)


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


def warm_split(grade: Callable[[], Any], wall: float) -> dict[str, float]:
    """The warm grade's wall time split by the shares of a profiled run of it."""
    profiler = cProfile.Profile()
    profiler.enable()
    grade()
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
        "sandbox round trips (the student's calls)": part["sandbox"],
        "oracle (expected values)": oracle,
        "comparing and the rest of the check bodies": part["bodies"] - part["sandbox"] - oracle,
        "shrinking failures": part["shrink"],
        "diagnosing failures": part["diagnose"],
    }
    split["the rest (sandbox start, loading)"] = profiled - sum(split.values())
    return {label: wall * seconds / profiled for label, seconds in split.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", type=Path)
    parser.add_argument("--assignment", default="conv")
    parser.add_argument("--profile", default="thorough", choices=("quick", "thorough"))
    args = parser.parse_args()
    submission = args.submission or ROOT / "tests" / "fixtures" / "submissions" / args.assignment / "correct_loops.py"

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    interpreter = time.perf_counter() - started
    started = time.perf_counter()
    from grader.oracles import lazy_torch
    from grader.reports.outputs import render, renderers
    from grader.runner import grade
    from grader.sandbox.process import Sandbox
    from grader.settings import Settings
    from grader.suites import get_suite
    get_suite(args.assignment)
    grader_seconds = time.perf_counter() - started

    watch = Stopwatch()
    watch.wrap(Sandbox, "load", "sandbox start: zygote, child, loading the submission")
    watch.wrap(lazy_torch.LazyModule, "__getattr__", "waiting for torch", only_if=lambda lazy: lazy.module is None)
    watch.wrap(lazy_torch, "_import_quietly", "torch's import, on its thread meanwhile")
    settings = Settings(args.profile)
    started = time.perf_counter()
    report = grade(args.assignment, submission, settings)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    render(report, renderers())
    rendering = time.perf_counter() - started

    started = time.perf_counter()
    grade(args.assignment, submission, settings)
    warm = time.perf_counter() - started
    split = warm_split(lambda: grade(args.assignment, submission, settings), warm)

    shown = submission.relative_to(ROOT) if submission.is_relative_to(ROOT) else submission
    print(f"{args.assignment}, {args.profile} profile, {shown}: {report.score:g}/{report.max_score:g} points; "
          f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs")
    row = "{:<74} {:>8}"
    print(row.format("cold check, in order", "seconds"))
    print(row.format("  start-up: the interpreter (python -c pass)", f"{interpreter:.2f}"))
    print(row.format("  start-up: import the grader and the suite", f"{grader_seconds:.2f}"))
    print(row.format("  grading", f"{cold:.2f}"))
    for label, seconds in watch.seconds.items():
        print(row.format(f"    {label}", f"{seconds:.2f}"))
    print(row.format("  rendering the reports", f"{rendering:.2f}"))
    print(row.format("  total", f"{interpreter + grader_seconds + cold + rendering:.2f}"))
    print(row.format("warm grade (the same again in this process), split as in a profiled run", f"{warm:.2f}"))
    for label, seconds in split.items():
        print(row.format(f"  {label}", f"{seconds:.2f}"))


if __name__ == "__main__":
    main()
