"""Batch faults: a SIGKILL mid-run loses nothing, and a hanging or crashing submission stops only itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_batch import build_class


def batch(submissions: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "grader.cli", "batch", "pool", str(submissions), "--out", str(out),
               "--profile", "quick", "--jobs", "1"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def gradebook(out: Path) -> str:
    """The gradebook as text: it has no timing column, so two runs over the same class must match exactly."""
    return (out / "gradebook.csv").read_text()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_mid_batch_then_rerun_gives_the_uninterrupted_gradebook(tmp_path: Path) -> None:
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

    assert batch(submissions, interrupted).wait(timeout=300) == 0
    assert gradebook(interrupted) == gradebook(tmp_path / "clean")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_hanging_and_a_crashing_submission_do_not_stop_the_others(tmp_path: Path) -> None:
    from conftest import SUBMISSIONS
    from grader.batch.run import run_batch

    correct = (SUBMISSIONS / "pool" / "correct_loops.py").read_text()
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "good.py").write_text(correct)
    (folder / "hangs.py").write_text(correct + "\n\ndef max_pool_forward(x, pool_param):\n    while True:\n        pass\n")
    (folder / "crashes.py").write_text(correct + "\n\ndef avg_pool_forward(x, pool_param):\n    import os\n"
                                       "    os._exit(3)\n")
    records = {r.student_id: r for r in run_batch("pool", folder, tmp_path / "out", jobs=2, profile="quick")}
    assert {r.outcome for r in records.values()} == {"graded"}
    assert records["good"].score == records["good"].max_score
    assert 0 < records["hangs"].score < records["hangs"].max_score
    assert 0 < records["crashes"].score < records["crashes"].max_score
    hangs = (tmp_path / "out" / "hangs" / "report.md").read_text()
    assert "timed out after" in hangs and "exited with code 3" in (tmp_path / "out" / "crashes" / "report.md").read_text()
