"""Batch throughput: `grader batch` on generated submissions, against nbclient running notebooks (what nbgrader
pays per notebook), in one run on one machine.

Goals (issue 5): at least 200 `.py` submissions per minute with the quick profile and `--jobs 2` on a 2-core
machine, and a per-submission overhead at least 10 times lower than nbclient's.

What runs, one after the other:

1. grade: COUNT submissions generated in a temporary folder from tests/fixtures/submissions/<assignment>/, a mix
   of correct ones (both fixtures), buggy ones (the correct file followed by one catalogued mistake, as in
   tests/test_batch.py) and broken ones (a syntax error; the last function missing), one in four as a notebook.
   They are graded as `grader batch <assignment> DIR --out OUT --jobs 2 --profile quick` does (`run_batch`
   in-process, on a fresh pool): the wall time covers discovery, starting the pool's workers, grading, the
   gradebook and the summary (not stopping the workers). Submissions per minute = 60 * COUNT / that wall time.
2. grader overhead: COUNT empty submissions (a file defining none of the assignment's functions), graded on a
   pool already started and warmed up by a few such submissions per worker (what each worker pays once: importing
   torch and the grader, compiling the report templates, starting the sandbox; timed apart as "pool start and
   warm-up"). Such a batch does all the per-submission work (hand the job to a worker, start the sandbox child
   and load the file into it, record every check as not run, write results.json, report.html, report.md and
   record.json) except running checks. Overhead = wall * jobs / COUNT: the seconds one worker spends per
   submission, so that it compares with nbclient's one-at-a-time figure (wall / COUNT, the machine's cost per
   submission, is printed too).
3. nbclient: COUNT notebooks of three trivial cells (`x = 1`, `y = x + 1`, `print(y)`), each executed with
   `nbclient.NotebookClient(...).execute()` one after the other, as nbgrader's autograde does: a fresh kernel
   per notebook, started, run and shut down. Overhead = wall / COUNT; one notebook runs first, untimed.

Ratio = nbclient's overhead / the grader's. Run: .venv/bin/python bench/batch_throughput.py [--count 200]

With ``--class-mix ASSIGNMENT`` (issue 15) it measures instead what an instructor's grading day costs: COUNT
submissions cycling through that assignment's student corpus (tests/fixtures/students: loop-based, vectorised and
im2col code, correct and buggy, as students hand it in) and the two broken kinds, graded on a fresh pool at the
quick profile and then at the thorough (official) one, each as phase 1 above. It prints submissions per minute
for each, the mean seconds per kind in a worker, and what a class of 300 takes: on this machine (``--jobs``
workers), and on N Dask workers of one core each (300 / (N x the rate per worker); a projection that assumes the
workers are as fast as these cores and the scheduler costs nothing).
(`pip install '.[bench]'` for nbclient and ipykernel). Linux only (it reads /proc/stat): before each phase it
waits (up to 3 minutes) for a quiet second, and after it prints the share of the machine that other processes
used meanwhile; figures taken while others used much of it say little.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402 (after the path: grade this checkout, not an installed copy)
from nbclient import NotebookClient  # noqa: E402

from grader.batch.executor import LocalExecutor  # noqa: E402
from grader.batch.records import Record  # noqa: E402
from grader.batch.run import run_batch  # noqa: E402
from grader.settings import Settings

FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
STUDENTS = ROOT / "tests" / "fixtures" / "students"
CLASS_SIZE = 300
DASK_WORKERS = (4, 16, 64)
RATE_GOAL = 200.0
RATIO_GOAL = 10.0
TRIVIAL_CELLS = ("x = 1", "y = x + 1", "print(y)")
QUIET_SHARE = 0.1
QUIET_WAIT = 180.0


def kinds(assignment: str) -> dict[str, str]:
    """The sources the mix cycles through, by name: the correct fixtures, each mistake, two broken files."""
    folder = FIXTURES / assignment
    correct = (folder / "correct_loops.py").read_text()
    sources = {path.stem: path.read_text() for path in sorted(folder.glob("correct_*.py"))}
    sources |= {f"mistake {p.stem}": f"{correct}\n\n{p.read_text()}" for p in sorted(folder.glob("mistakes/*.py"))}
    sources["broken syntax error"] = correct + "\n\ndef oops(:\n    pass\n"
    sources["broken missing function"] = "\n\n\ndef ".join(correct.split("\n\n\ndef ")[:-1]) + "\n"
    return sources


def class_mix(assignment: str) -> dict[str, str]:
    """The sources of a realistic class, by name: the student corpus's files for the assignment (named by style and
    whether they are correct) and the two broken kinds."""
    entries = tomllib.loads((STUDENTS / "corpus.toml").read_text())["student"]
    sources = {f"{e['style']} {'buggy' if e['bugs'] else 'correct'}: {Path(e['file']).stem}":
               (STUDENTS / e["file"]).read_text() for e in entries if e["assignment"] == assignment}
    if not sources:
        raise SystemExit(f"tests/fixtures/students/corpus.toml has no {assignment} submissions")
    return sources | {name: source for name, source in kinds(assignment).items() if name.startswith("broken")}


def as_notebook(source: str, target: Path) -> None:
    """The same code as a notebook: a markdown cell, then one code cell per top-level block."""
    blocks = [block for block in source.split("\n\n\n") if block.strip()]
    cells = [nbformat.v4.new_markdown_cell("# My solution")] + [nbformat.v4.new_code_cell(b) for b in blocks]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), target)


def generate(sources_by_kind: dict[str, str], count: int, folder: Path) -> dict[str, str]:
    """`count` submissions in `folder` cycling through the kinds, one in four a notebook; returns each id's kind."""
    folder.mkdir()
    made = {}
    sources = list(sources_by_kind.items())
    for i in range(count):
        kind, source = sources[i % len(sources)]
        sid, notebook = f"s{i:04d}", i % 4 == 3
        if notebook:
            as_notebook(source, folder / f"{sid}.ipynb")
        else:
            (folder / f"{sid}.py").write_text(source)
        made[sid] = f"{kind} ({'.ipynb' if notebook else '.py'})"
    return made


def timed_batch(assignment: str, submissions: Path, out: Path, pool: LocalExecutor,
                profile: str = "quick") -> tuple[float, list[Record]]:
    """Wall seconds of one batch on `pool`, and its records."""
    started = time.perf_counter()
    records = run_batch(assignment, submissions, out, settings=Settings(profile), executor=pool)
    return time.perf_counter() - started, records


def worker_pid(seconds: float) -> int:
    """Run in a worker: wait a little (so that each worker gets one of a round of jobs), then say which it is."""
    time.sleep(seconds)
    return os.getpid()


def write_empty(folder: Path, count: int) -> Path:
    """`count` submissions that define none of the assignment's functions."""
    folder.mkdir()
    for i in range(count):
        (folder / f"e{i:04d}.py").write_text('"""A submission that defines none of the functions."""\n')
    return folder


def warm_pool(assignment: str, jobs: int, scratch: Path) -> tuple[LocalExecutor, float]:
    """A local pool whose `jobs` workers have all started and each graded a few empty submissions (imports, template
    compilation, the sandbox's start-up: paid once per worker), and the seconds that took."""
    started = time.perf_counter()
    pool, pids = LocalExecutor(jobs), set()
    while len(pids) < jobs:
        pids |= {future.result() for future in [pool.submit(functools.partial(worker_pid, 0.2)) for _ in range(jobs)]}
    timed_batch(assignment, write_empty(scratch / "warm-up", 5 * jobs), scratch / "graded-warm-up", pool)
    return pool, time.perf_counter() - started


def run_notebook() -> None:
    """Execute one three-cell notebook in a fresh kernel, as nbgrader's autograde does for each submission."""
    cells = [nbformat.v4.new_code_cell(source) for source in TRIVIAL_CELLS]
    client = NotebookClient(nbformat.v4.new_notebook(cells=cells), timeout=60, kernel_name="python3")
    client.execute(stderr=subprocess.DEVNULL)


def run_notebooks(count: int) -> float:
    """Wall seconds of executing `count` notebooks one after the other (after one untimed, to warm the disk cache)."""
    run_notebook()
    started = time.perf_counter()
    for _ in range(count):
        run_notebook()
    return time.perf_counter() - started


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (/proc/stat: user, nice, system, irq, softirq)."""
    user, nice, system, _, _, irq, softirq = (int(v) for v in Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def own_seconds() -> float:
    """CPU seconds of this process and all its descendants (workers, zygotes, sandboxes, kernels), living or ended
    and reaped (/proc/<pid>/stat: utime, stime, and cutime and cstime for reaped children)."""
    parents, seconds = {}, {}
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else []
        except OSError:  # the process ended meanwhile
            continue
        if fields:
            parents[int(entry.name)] = int(fields[1])
            seconds[int(entry.name)] = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    tree, frontier = set(), {os.getpid()}
    while frontier:
        tree |= frontier
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - tree
    return sum(seconds.get(pid, 0.0) for pid in tree)


class Others:
    """Measures the share of the machine that other processes used while a phase ran (Linux only). Leave it before
    closing a pool: a worker's zygote, orphaned when the worker exits, would take its CPU time out of our tree."""

    def __enter__(self) -> Others:
        self.wall, self.busy, self.own = time.perf_counter(), busy_seconds(), own_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.wall
        theirs = busy_seconds() - self.busy - (own_seconds() - self.own)
        self.share = max(0.0, theirs) / (wall * (os.cpu_count() or 1))


def wait_for_quiet(limit: float = QUIET_WAIT) -> None:
    """Wait up to `limit` seconds for a second in which the machine is nearly idle: others' load skews the figures."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before, started = busy_seconds(), time.perf_counter()
        time.sleep(1)
        if (busy_seconds() - before) / ((time.perf_counter() - started) * (os.cpu_count() or 1)) < QUIET_SHARE:
            return
    print(f"(the machine was not quiet within {limit:g} s; measuring anyway)")


def verdict(met: bool) -> str:
    """A goal's verdict as the tables in bench/RESULTS.md write it."""
    return "met" if met else "NOT met"


def measure_grading(assignment: str, count: int, jobs: int, scratch: Path, sources: dict[str, str],
                    profile: str = "quick", goal: float | None = None) -> float:
    """Grade the generated mix as `grader batch` does; print the rate, the outcomes and each kind's mean seconds in
    a worker; returns the submissions per minute."""
    made = generate(sources, count, scratch / f"mixed-{profile}")
    wait_for_quiet()
    with LocalExecutor(jobs) as pool:  # its workers start at the first job, inside the timing
        with Others() as others:
            took, records = timed_batch(assignment, scratch / f"mixed-{profile}", scratch / f"graded-{profile}", pool,
                                        profile)
    rate = 60 * count / took
    verdict_text = f"; goal >= {goal:g}/min: {verdict(rate >= goal)}" if goal is not None else ""
    print(f"grade     {count} mixed submissions, {profile}: {took:7.1f} s, {rate:6.1f} submissions/min "
          f"(outcomes: {dict(Counter(r.outcome for r in records))}){verdict_text}; others used {others.share:.0%} of the "
          "machine")
    seconds: dict[str, list[float]] = defaultdict(list)
    for record in records:
        seconds[made[record.student_id]].append(record.seconds)
    for kind, values in sorted(seconds.items()):
        print(f"          {len(values):4d} x {kind:<50} {1000 * statistics.mean(values):7.0f} ms in a worker")
    return rate


def measure_overhead(assignment: str, count: int, jobs: int, scratch: Path) -> float:
    """Grade `count` empty submissions on a warm pool; print and return the seconds per submission per worker."""
    empty = write_empty(scratch / "empty", count)
    pool, start = warm_pool(assignment, jobs, scratch)
    wait_for_quiet()
    with pool:
        with Others() as others:
            took, _ = timed_batch(assignment, empty, scratch / "graded-empty", pool)
    overhead = took * jobs / count
    print(f"overhead  {count} empty submissions: {took:7.1f} s, {1000 * overhead:6.1f} ms per submission per worker "
          f"({1000 * took / count:.1f} ms of the machine); pool start and warm-up {start:.1f} s; others used "
          f"{others.share:.0%} of the machine")
    return overhead


def measure_nbclient(count: int) -> float:
    """Run `count` trivial notebooks with nbclient; print and return the seconds per notebook."""
    wait_for_quiet()
    with Others() as others:
        took = run_notebooks(count)
    print(f"nbclient  {count} three-cell notebooks: {took:7.1f} s, {60 * count / took:6.1f} notebooks/min, "
          f"{1000 * took / count:6.1f} ms per notebook; others used {others.share:.0%} of the machine")
    return took / count


def class_of_300(rate: float, jobs: int) -> str:
    """How long a class takes at `rate` submissions/min on this machine, and on N one-core Dask workers."""
    per_worker = rate / jobs
    dask = ", ".join(f"{n} workers {CLASS_SIZE / (per_worker * n):.1f} min" for n in DASK_WORKERS)
    return f"a class of {CLASS_SIZE}: {CLASS_SIZE / rate:.1f} min here ({jobs} workers); on Dask, {dask}"


def measure_class(assignment: str, count: int, jobs: int) -> None:
    """The class mix at the quick profile, then the thorough one; each with what a class of 300 takes."""
    sources = class_mix(assignment)
    print(f"{assignment}: {len(sources)} kinds of submission, cycled over {count}")
    with tempfile.TemporaryDirectory(prefix="class-throughput-") as scratch:
        for profile in ("quick", "thorough"):
            rate = measure_grading(assignment, count, jobs, Path(scratch), sources, profile)
            print(f"          {class_of_300(rate, jobs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="submissions per batch, and notebooks")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", choices=("params", "pool"), default="params",
                        help="params (default) has the fastest quick profile; pool for comparison")
    parser.add_argument("--class-mix", metavar="ASSIGNMENT", choices=("conv", "pool"),
                        help="grade the student corpus's mix at the quick and thorough profiles instead")
    args = parser.parse_args()
    if args.class_mix:
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; --jobs {args.jobs}; grader from {ROOT}")
        measure_class(args.class_mix, args.count, args.jobs)
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {args.assignment}, quick profile, "
          f"--jobs {args.jobs}, {args.count} submissions and {args.count} notebooks; grader from {ROOT}", flush=True)
    with tempfile.TemporaryDirectory(prefix="batch-throughput-") as scratch:
        measure_grading(args.assignment, args.count, args.jobs, Path(scratch), kinds(args.assignment),
                        goal=RATE_GOAL)
        overhead = measure_overhead(args.assignment, args.count, args.jobs, Path(scratch))
    per_notebook = measure_nbclient(args.count)
    ratio = per_notebook / overhead
    print(f"ratio     nbclient / grader overhead: {ratio:.1f}x; goal >= {RATIO_GOAL:g}x: "
          f"{verdict(ratio >= RATIO_GOAL)}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
