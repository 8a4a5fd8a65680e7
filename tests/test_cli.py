"""`grader check` exits 0 when everything passed, 1 when a check failed, 2 for a usage error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SUBMISSIONS
from grader.cli import main
from grader.suites import get_suite


def test_all_passed_exits_zero_and_lists_every_check(capsys, tmp_path: Path) -> None:
    code = main(["check", "pool", str(SUBMISSIONS / "pool" / "correct_loops.py"), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0
    checks = get_suite("pool").checks
    total = sum(check.points for check in checks)
    assert out.count("PASS") == len(checks)
    assert f"pool: {total:g}/{total:g} points; {len(checks)} of {len(checks)} checks passed (all passed)" in out
    assert json.loads((tmp_path / "r.json").read_text())["score"] == total


def test_the_grader_program_exits_with_the_checks_status_after_writing_everything(submission, tmp_path: Path) -> None:
    """The program skips the interpreter's teardown (torch's alone is about 0.6 s): what it prints and writes must
    all be there, and its exit status is still the verdict's."""
    path = submission("pool", "correct_loops.py", "mistakes/stride_is_pool_size.py")
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-m", "grader.cli", "check", "pool", str(path), "--json",
                           str(tmp_path / "r.json")], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env=buffered)
    assert done.returncode == 1, done.stderr
    assert done.stdout.rstrip().endswith("drawn from a seed no one knows in advance.") and "Likely cause" in done.stdout
    assert json.loads((tmp_path / "r.json").read_text())["score"] < sum(check.points for check in get_suite("pool").checks)


@pytest.mark.parametrize("budget", ["0", "-5", "inf", "soon"])
def test_a_budget_that_is_not_a_positive_number_of_seconds_is_a_usage_error(budget: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(["check", "pool", str(SUBMISSIONS / "pool" / "correct_loops.py"), "--budget", budget])
    assert exit_code.value.code == 2 and "give a number of seconds above 0" in capsys.readouterr().err


def test_a_failed_check_exits_one_and_shows_why(capsys, submission, tmp_path: Path) -> None:
    path = submission("pool", "correct_loops.py", "mistakes/stride_is_pool_size.py")
    code = main(["check", "pool", str(path), "--html", str(tmp_path / "r.html"), "--md", str(tmp_path / "r.md")])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in out and "max_pool_forward's out has shape" in out and "Smallest failing input" in out
    assert "Likely cause: Your windows move by pool_height instead of stride" in out
    assert "Your windows move by pool_height" in (tmp_path / "r.html").read_text()
    assert "Your windows move by pool_height" in (tmp_path / "r.md").read_text()


def test_missing_path_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "conv", "no/such/file.py"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "does not exist" in err and err.startswith("usage: grader check ")


@pytest.mark.parametrize("name, make, said", [
    ("notes.txt", lambda path: path.write_text("my notes"), "notes.txt is not a .py file or a .ipynb notebook"),
    ("empty", lambda path: path.mkdir(), "no .py or .ipynb file in empty (it is empty)"),
    ("two", lambda path: (path.mkdir(), (path / "a.py").write_text(""), (path / "b.py").write_text("")),
     "two holds several possible submissions (a.py, b.py)"),
])
def test_a_path_that_names_no_submission_is_a_usage_error_with_checks_own_usage(tmp_path: Path, capsys, name: str,
                                                                                make, said: str) -> None:
    make(tmp_path / name)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "conv", str(tmp_path / name)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("usage: grader check ")
    assert said in err and err.count("\n") <= 8


def test_unknown_assignment_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "lenet9", "x.py"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_release_check_reports_sync(capsys) -> None:
    assert main(["release", "--check", "--root", str(Path(__file__).resolve().parents[1])]) == 0
    assert "in sync" in capsys.readouterr().out
