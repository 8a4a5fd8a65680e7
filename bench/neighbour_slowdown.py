"""How much a hostile submission slows a correct neighbour graded beside it (issue 23: goal <= 1.5x).

Two jobs at once on a pool of two workers, as `grader batch --jobs 2` runs them: the neighbour (a correct pool
submission, quick profile) and the attacker (a params submission whose every function tries to start 200 spinning
processes, falls back to 200 threads spinning on work that releases the GIL where processes are refused, and
spins until its call's time limit). The neighbour's wall time beside the attacker is compared with its wall time
alone on the same pool, in the same run, alternating: ratio = beside / alone, per repetition.

Configurations (each a fresh pool): the sandbox as it is (children are one process, workers pinned to their own
cores, cgroups where delegated); without pinning (``--no-pin``); without cgroups (``GRADER_CGROUPS=none`` in the
environment); and letting the attacker start processes (``--processes``: only honoured where cgroups count them).
Run: .venv/bin/python bench/neighbour_slowdown.py [--repeats 3] [--no-pin] [--processes]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.batch.executor import LocalExecutor  # noqa: E402 - the repository is put on the path just above
from grader.runner import grade_submission  # noqa: E402
from grader.settings import Settings  # noqa: E402
from grader.submission import load_submission  # noqa: E402
from grader.suites import get_suite  # noqa: E402

NEIGHBOUR = ROOT / "tests" / "fixtures" / "submissions" / "pool" / "correct_loops.py"
ATTACK = '''
import hashlib, os, threading

DATA = b"x" * (16 << 20)  # hashing it holds no lock for tens of milliseconds: the threads run in parallel

def spin():
    while True:
        hashlib.sha256(DATA).digest()

def take_the_machine(*args, **kwargs):
    go, ready = os.pipe()  # every process and thread starts spinning once all are started
    started = 0
    for _ in range(200):
        try:
            if os.fork() == 0:
                os.setsid()  # a session of its own: a scheduling group of its own where the kernel has autogroups
                os.close(ready)
                os.read(go, 1)
                spin()
            started += 1
        except OSError:
            break
    start = threading.Event()
    for _ in range(200 - started):
        try:
            threading.Thread(target=lambda: (start.wait(), spin()), daemon=True).start()
        except RuntimeError:  # past the thread limit
            break
    os.close(ready)
    start.set()
    spin()

conv2d_param_count = linear_param_count = layer_output_shape = model_param_count = receptive_field = take_the_machine
'''


def grade_seconds(assignment: str, path: str, subprocesses: bool, budget: float | None) -> float:
    """Grade one submission in a pool worker; its wall time (the attacker's is cut by ``budget``)."""
    suite = get_suite(assignment)
    suite.policy = dataclasses.replace(suite.policy, subprocesses=subprocesses)
    started = time.perf_counter()
    grade_submission(assignment, load_submission(Path(path), assignment), Settings("quick", budget_seconds=budget))
    return time.perf_counter() - started


def measure(pool: LocalExecutor, attacker: Path, repeats: int, subprocesses: bool) -> list[tuple[float, float]]:
    """(alone, beside) wall times of the neighbour, ``repeats`` times, alternating."""
    pairs = []
    with tempfile.TemporaryDirectory() as meeting:  # both workers grade once (zygotes, imports) before any timing
        for future in [pool.submit(_Warm(meeting)) for _ in range(2)]:
            future.result()
    for _ in range(repeats):
        alone = pool.submit(_neighbour).result()
        attack = pool.submit(_Attack(str(attacker), subprocesses, budget=4 * alone + 10))
        time.sleep(1.0)  # the attacker is spinning before the neighbour starts
        beside = pool.submit(_neighbour).result()
        attack.result()
        pairs.append((alone, beside))
    return pairs


@dataclasses.dataclass(frozen=True)
class _Warm:
    """Grade the neighbour once and the attacker's file once, after waiting until the other worker does too."""

    meeting: str

    def __call__(self) -> None:
        Path(self.meeting, str(os.getpid())).touch()
        while len(os.listdir(self.meeting)) < 2:
            time.sleep(0.05)
        grade_seconds("pool", str(NEIGHBOUR), False, None)


def _neighbour() -> float:
    return grade_seconds("pool", str(NEIGHBOUR), False, None)


@dataclasses.dataclass(frozen=True)
class _Attack:
    path: str
    subprocesses: bool
    budget: float

    def __call__(self) -> float:
        return grade_seconds("params", self.path, self.subprocesses, self.budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-pin", action="store_true", help="workers share every core")
    parser.add_argument("--processes", action="store_true", help="let the attacker start processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        attacker = Path(folder) / "params.py"
        attacker.write_text(ATTACK)
        with LocalExecutor(2, pin=not args.no_pin) as pool:
            pairs = measure(pool, attacker, args.repeats, args.processes)
    ratios = [beside / alone for alone, beside in pairs]
    print(f"pin={not args.no_pin} processes={args.processes} cgroups={os.environ.get('GRADER_CGROUPS', 'as found')}")
    for alone, beside in pairs:
        print(f"  alone {alone:6.2f} s   beside the attacker {beside:6.2f} s   ratio {beside / alone:5.2f}")
    print(f"ratio median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
