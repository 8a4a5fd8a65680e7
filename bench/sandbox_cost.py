"""What starting one submission's sandbox costs, and what the strict confinement adds to it.

Goals (issues 5 and 7): a per-submission overhead of tens of milliseconds, not the seconds of a fresh
interpreter importing torch; the strict sandbox (namespaces, a user of its own, Landlock) adding no more
than a few tens of milliseconds. Each row times, in this process, a child forked from the zygote that
loads a one-function submission and answers one call, with confinement on and off, and as peer a fresh
``python -I -S -c "import numpy|torch"`` (what each submission paid before the zygote). The first child of
each kind starts the zygote and is not counted. Run: .venv/bin/python bench/sandbox_cost.py [--repeats N]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.sandbox.policy import Policy  # noqa: E402 - the repository is put on the path just above
from grader.sandbox.process import Sandbox  # noqa: E402
from grader.submission import load_submission  # noqa: E402
from grader.suites.framework import numpy_only, with_torch  # noqa: E402


def child_seconds(policy: Policy, submission_path: Path, repeats: int) -> tuple[float, str]:
    """Median wall time of start + load + one call, and the sandbox level that was in force."""
    submission = load_submission(submission_path, "params")
    times, level = [], ""
    for _ in range(repeats + 1):
        started = time.perf_counter()
        with Sandbox(submission, policy) as sandbox:
            sandbox.load()
            sandbox.call("identity", 1)
            level = sandbox.level
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:]), level


def fresh_interpreter_seconds(module: str, repeats: int) -> float:
    """Median wall time of a fresh isolated interpreter that imports ``module`` and exits."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path[:0] = {sys.path!r}; import {module}"],
                       check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        submission = Path(folder) / "params.py"
        submission.write_text("def identity(x):\n    return x\n")
        print(f"{'libraries':<12} {'strict ms':>10} {'unconfined ms':>14} {'added ms':>9} {'fresh python ms':>16}"
              f" {'fresh / strict':>15}")
        for name, policy in (("numpy", numpy_only("params")), ("numpy+torch", with_torch(10.0))):
            strict, level = child_seconds(policy, submission, args.repeats)
            loose, _ = child_seconds(dataclasses.replace(policy, confine=False), submission, args.repeats)
            fresh = fresh_interpreter_seconds(name.split("+")[-1], max(3, args.repeats // 4))
            print(f"{name:<12} {strict * 1e3:>10.1f} {loose * 1e3:>14.1f} {(strict - loose) * 1e3:>9.1f}"
                  f" {fresh * 1e3:>16.0f} {fresh / strict:>15.0f}x")
        print(f"level in force: {level}")


if __name__ == "__main__":
    main()
