"""Batch faults: a SIGKILL mid-run loses nothing, a hanging or crashing submission stops only itself, and a
worker process killed mid-job (as by the out-of-memory killer) costs only a rerun of the jobs it took down."""

from __future__ import annotations

import concurrent.futures
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SUBMISSIONS

from grader.batch.executor import LocalExecutor
from grader.batch.job import GradeJob
from grader.batch.records import Record
from grader.batch.run import run_batch
from grader.batch.scratch import HELPER_NOTE, POOL_PREFIX, SEMAPHORES, UNPACKED_PREFIX
from grader.settings import Settings
from grader.suites import get_suite
from test_batch import build_class, gradebook as gradebook_rows


PARAMS_POINTS = sum(check.points for check in get_suite("params").checks)  # a correct params submission's score


def batch(submissions: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "grader.cli", "batch", "pool", str(submissions), "--out", str(out),
               "--profile", "quick", "--jobs", "1"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def gradebook(out: Path) -> str:
    """The gradebook as text: it has no timing column, so two runs over the same class must match exactly."""
    return (out / "gradebook.csv").read_text()


def leftovers(pid: int, out: Path) -> dict[str, list[Path]]:
    """What the batch of process `pid` keeps outside its records, by kind."""
    folders = list(Path(tempfile.gettempdir()).glob(f"{POOL_PREFIX}{pid}-*"))
    return {"its folder in the temporary folder": folders,
            "multiprocessing's helper folder": [Path((f / HELPER_NOTE).read_text()) for f in folders],
            "its pool's semaphores": list(SEMAPHORES.glob(f"sem.mp-{POOL_PREFIX}{pid}-*")),
            "its unpacked zips": list(out.glob(f"{UNPACKED_PREFIX}{pid}-*"))}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_mid_batch_then_rerun_gives_the_uninterrupted_gradebook_and_clears_the_leftovers(
        tmp_path: Path) -> None:
    submissions = build_class(tmp_path / "class")
    assert batch(submissions, tmp_path / "clean").wait(timeout=300) == 0

    interrupted = tmp_path / "interrupted"
    run = batch(submissions, interrupted)
    deadline = time.monotonic() + 120
    while not list(interrupted.glob("*/record.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    recorded = len(list(interrupted.glob("*/record.json")))
    assert 0 < recorded < len(list(submissions.iterdir())), "the kill should land mid-batch"
    left = leftovers(run.pid, interrupted)
    assert all(left.values()), left

    assert batch(submissions, interrupted).wait(timeout=300) == 0
    assert gradebook(interrupted) == gradebook(tmp_path / "clean")
    assert [path for paths in left.values() for path in paths if path.exists()] == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_hanging_and_a_crashing_submission_do_not_stop_the_others(tmp_path: Path) -> None:
    correct = (SUBMISSIONS / "pool" / "correct_loops.py").read_text()
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "good.py").write_text(correct)
    (folder / "hangs.py").write_text(correct + "\n\ndef max_pool_forward(x, pool_param):\n    import time\n"
                                     "    time.sleep(3600)\n")  # waits out the 10 s limit without taking a core
    (folder / "crashes.py").write_text(correct + "\n\ndef avg_pool_forward(x, pool_param):\n    import os\n"
                                       "    os._exit(3)\n")
    records = {r.student_id: r for r in run_batch("pool", folder, tmp_path / "out", Settings("quick"), jobs=2)}
    assert {sid: r.what_happened for sid, r in records.items()} == {
        "good": "passed", "hangs": "timed out in max_pool_forward", "crashes": "crashed in avg_pool_forward"}
    assert records["good"].score == records["good"].max_score
    assert 0 < records["hangs"].score < records["hangs"].max_score
    assert 0 < records["crashes"].score < records["crashes"].max_score
    hangs = (tmp_path / "out" / "hangs" / "report.md").read_text()
    assert "timed out after" in hangs and "exited with code 3" in (tmp_path / "out" / "crashes" / "report.md").read_text()


@dataclass(frozen=True)
class KillsItsWorker:
    """A grading job that SIGKILLs its own worker process, as the out-of-memory killer would, when it grades
    `victim`: at most `times` times in all, counted by the files it leaves in `marks`. So that another job is in
    flight the first time, the victim waits for one to start, and the others wait for the first kill."""

    job: GradeJob
    victim: str
    marks: Path
    times: int

    def __call__(self) -> Record:
        if self.job.entry.student_id != self.victim:
            (self.marks / f"started-{self.job.entry.student_id}-{os.getpid()}").touch()
            wait_for(self.marks, "kill-*")
        elif len(list(self.marks.glob("kill-*"))) < self.times:
            wait_for(self.marks, "started-*")
            (self.marks / f"kill-{os.getpid()}").touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.job()


def wait_for(folder: Path, pattern: str, seconds: float = 60) -> None:
    """Wait until a file matching `pattern` appears in `folder` (or `seconds` pass)."""
    deadline = time.monotonic() + seconds
    while not list(folder.glob(pattern)) and time.monotonic() < deadline:
        time.sleep(0.01)


class Sabotaged:
    """A local pool whose jobs for `victim` kill their worker; it remembers which ids it was asked to grade."""

    def __init__(self, pool: LocalExecutor, victim: str, marks: Path, times: int) -> None:
        self.pool, self.victim, self.marks, self.times = pool, victim, marks, times
        self.workers, self.ids = pool.workers, []

    def submit(self, job: GradeJob) -> concurrent.futures.Future[Record]:
        self.ids.append(job.entry.student_id)
        return self.pool.submit(KillsItsWorker(job, self.victim, self.marks, self.times))

    def close(self, cancel: bool = False) -> None:
        self.pool.close(cancel)


def grade_with_a_killer(tmp_path: Path, times: int) -> tuple[dict[str, Record], list[str]]:
    """Four correct submissions graded two at a time; aaron's job kills its worker `times` times at most, the first
    time while bea's is running."""
    folder, marks = tmp_path / "class", tmp_path / "marks"
    folder.mkdir()
    marks.mkdir()
    for sid in ("aaron", "bea", "cy", "dan"):
        shutil.copy(SUBMISSIONS / "params" / "correct_loops.py", folder / f"{sid}.py")
    with LocalExecutor(2) as pool:
        sabotaged = Sabotaged(pool, "aaron", marks, times)
        records = run_batch("params", folder, tmp_path / "out", settings=Settings("quick"), executor=sabotaged,
                            stream=io.StringIO())
    assert len(list(marks.glob("kill-*"))) == min(times, 2)
    return {r.student_id: r for r in records}, sorted(sabotaged.ids)


def rerun_at_most_once(submitted: list[str]) -> bool:
    """Whether every id was submitted once or twice. Which jobs besides aaron's fail with the pool, and so run
    again, is up to concurrent.futures: a job in flight can still deliver its result if the pool notices the
    death only afterwards."""
    return set(submitted) == {"aaron", "bea", "cy", "dan"} and all(submitted.count(sid) <= 2 for sid in submitted)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_worker_killed_once_is_replaced_and_every_job_it_took_down_is_graded(tmp_path: Path) -> None:
    records, submitted = grade_with_a_killer(tmp_path, times=1)
    assert {sid: (r.status, r.score) for sid, r in records.items()} == {
        sid: ("passed", PARAMS_POINTS) for sid in ("aaron", "bea", "cy", "dan")}
    assert submitted.count("aaron") == 2 and rerun_at_most_once(submitted)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_job_that_kills_its_worker_twice_is_a_grader_error_and_the_others_are_graded(tmp_path: Path) -> None:
    records, submitted = grade_with_a_killer(tmp_path, times=99)
    aaron = records.pop("aaron")
    assert aaron.status == "grader error" and aaron.score is None
    assert "worker process grading aaron died twice" in aaron.message
    assert {sid: (r.status, r.score) for sid, r in records.items()} == {
        sid: ("passed", PARAMS_POINTS) for sid in ("bea", "cy", "dan")}
    assert submitted.count("aaron") == 2 and rerun_at_most_once(submitted)
    assert gradebook_rows(tmp_path / "out")[1][:4] == ["aaron", "", "", "grader error"]
