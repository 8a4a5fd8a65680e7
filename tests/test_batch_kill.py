"""A batch killed with SIGKILL mid-run and started again ends with the gradebook of an uninterrupted run."""

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
