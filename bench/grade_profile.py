"""Where the time of one `grader check` goes: cold (a fresh process, as `grader check --no-daemon` grades) and warm
(the same grade again in the same process, as the warm grader answers a repeated check).

Cold, timed directly in this fresh process, laid out as `grader check --no-daemon` runs: the interpreter (`python -c
pass`, run apart); first of all the torch process starts (grader/oracles/torch_process.py), which imports torch on
the other core while this process imports the grader and the suite (without torch), then grades: within the grade,
the sandbox's start (the zygote, the child, loading the submission), how far into the check the first torch call
came, how long it waited for the torch process to finish importing, and all the calls' round trips (that wait
included); then rendering the reports (terminal, results.json, HTML, Markdown). How long the import took in the torch
process is shown too: the import and this process's work before the first torch call overlap.

Warm: the same grade again with torch in this process (imported once the torch process is stopped, as the warm
grader holds it), once plainly (the wall time shown) and once under cProfile, whose shares split it:
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


class FirstCall:
    """When the first call to the torch process came, in seconds after ``began``."""

    def __init__(self, owner: Any, began: float) -> None:
        self.at: float | None = None
        original = owner.call

        def noted(*args: Any, **kwargs: Any) -> Any:
            if self.at is None:
                self.at = time.perf_counter() - began
            return original(*args, **kwargs)

        owner.call = noted


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
    began = time.perf_counter()
    from grader.oracles import torch_process
    with torch_process.serving():  # first of all, as `grader check --no-daemon` starts it
        process = torch_process.current()
        started = time.perf_counter()
        from grader.reports.outputs import render, renderers
        from grader.runner import grade
        from grader.sandbox.process import Sandbox
        from grader.settings import Settings
        from grader.suites import get_suite
        get_suite(args.assignment)
        grader_seconds = time.perf_counter() - started

        watch = Stopwatch()
        watch.wrap(Sandbox, "load", "sandbox start: zygote, child, loading the submission")
        watch.wrap(torch_process.TorchProcess, "exchange", "calls to the torch process: round trips, first wait in")
        watch.wrap(torch_process.TorchProcess, "exchange", "the first torch call's wait for its import",
                   only_if=lambda caller: caller.import_seconds is None)
        first_call = FirstCall(torch_process.TorchProcess, began)
        settings = Settings(args.profile)
        started = time.perf_counter()
        report = grade(args.assignment, submission, settings)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        render(report, renderers())
        rendering = time.perf_counter() - started
        torch_import = process.import_seconds

    import torch.nn.functional  # noqa: F401 - in this process from now on, as the warm grader holds it
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
    shown = "no torch call" if first_call.at is None else f"{first_call.at:.2f}"
    print(row.format("    the first torch call, seconds after the torch process started", shown))
    print(row.format("  rendering the reports", f"{rendering:.2f}"))
    print(row.format("  total", f"{interpreter + grader_seconds + cold + rendering:.2f}"))
    shown = "stopped unused" if torch_import is None else f"{torch_import:.2f}"
    print(row.format("torch process, meanwhile: importing torch (started with the check)", shown))
    print(row.format("warm grade (the same again in this process), split as in a profiled run", f"{warm:.2f}"))
    for label, seconds in split.items():
        print(row.format(f"  {label}", f"{seconds:.2f}"))


if __name__ == "__main__":
    main()
