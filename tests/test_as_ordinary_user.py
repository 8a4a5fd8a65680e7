"""The sandbox's promises hold when the grader runs as an ordinary user too: from root, the strict-sandbox and
red-team tests run again as an ordinary user (uid 4242, tests/as_ordinary_user.py) (the tests themselves check the root-only promises only under root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGAIN_AS_A_USER = ["tests/test_strict_sandbox.py", "tests/test_sandbox.py", "tests/red_team"]
# Attacks on what the grader makes of the child's replies, not on the sandbox: lies on the wire, forged probe replies
# and trainings, answers for skipped inputs, notebooks' stored outputs, escapes in printed text. Whoever runs the
# grader, the child's replies reach the same code, so they run once, in the suite itself (the rerun 104 s -> 82 s).
SAME_FOR_EVERY_USER = ["test_lying_results.py", "test_forged_probe_replies.py", "test_training_forgery.py",
                       "test_lenet_forgery.py", "test_skipped_inputs.py", "test_notebook_attacks.py",
                       "test_terminal_injection.py"]
# The rerun runs its tests one after the other (-n 0): spread over every core it took 11 s more CPU (two more pytest
# processes, each collecting the red team) to save wall time that `make test` does not save, being CPU-bound, and that
# the other worker fills meanwhile, the file starting first (tests/conftest.py's LONGEST_FIRST).
ONE_PROCESS = ["-n", "0"]


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(os.geteuid() != 0, reason="this run is already an ordinary user's: the tests below ran as one")
def test_sandbox_and_red_team_tests_pass_as_an_ordinary_user() -> None:
    home = tempfile.mkdtemp(prefix="grader-as-user-")  # not under pytest's root-only tmp folders
    try:
        run = subprocess.run([sys.executable, str(ROOT / "tests" / "as_ordinary_user.py"), home, "-q",
                              *ONE_PROCESS, *AGAIN_AS_A_USER,
                              *(f"--ignore=tests/red_team/{name}" for name in SAME_FOR_EVERY_USER)],
                             cwd=ROOT, capture_output=True, text=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "error" not in run.stdout.splitlines()[-1]
