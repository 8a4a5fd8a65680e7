"""One seed, one input sequence: every entry point gives a check the same inputs, whatever modules its process has
loaded, and identical submissions in one batch are tested on identical inputs.

Each check's result carries a digest of the inputs it was given (``extra_data.inputs`` in results.json); a
correct submission is given every input of the sequence, so equal digests mean equal sequences.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS

from grader import notebook
from grader.batch.run import run_batch
from grader.gradescope import run_gradescope
from grader.runner import grade
from grader.settings import Settings
from grader.validate import reference
from grader.validate.run import Run

pytestmark = pytest.mark.slow
ASSIGNMENT = "pool"
CORRECT = SUBMISSIONS / ASSIGNMENT / "correct_vectorised.py"
GRADER = Path(sys.executable).parent / "grader"


def digests(results: dict) -> dict[str, str]:
    """Check name -> digest of its inputs, from a results.json."""
    return {test["extra_data"]["check"]: test["extra_data"]["inputs"] for test in results["tests"]}


def report_digests(report) -> dict[str, str]:
    return {result.name: result.inputs for result in report.results}


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    """The digests of grading the correct submission in this test process."""
    found = report_digests(grade(ASSIGNMENT, CORRECT))
    assert len(found) > 5 and all(found.values())
    return found


def test_modules_full_of_numeric_literals_do_not_change_the_inputs(expected, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    literals = ", ".join(f"{v}, {-v}, {v / 7:.9f}" for v in (0.5, 3.25, 1e5, 2.0**20, 12345.678, 0.001))
    (tmp_path / "course_helpers.py").write_text(f"CONSTANTS = [{literals}, 3, 7, 1000003, -42]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("course_helpers")
    assert report_digests(grade(ASSIGNMENT, CORRECT)) == expected


@pytest.mark.parametrize("oracle", ["auto", "pytorch"])
def test_grader_check_draws_the_same_inputs_with_either_oracle(expected, oracle: str, tmp_path: Path) -> None:
    work = tmp_path / "student"
    work.mkdir()
    shutil.copy(CORRECT, work / f"{ASSIGNMENT}.py")
    completed = subprocess.run([str(GRADER), "check", ASSIGNMENT, f"{ASSIGNMENT}.py", "--json", "out.json",
                                "--oracle", oracle], cwd=work, capture_output=True, text=True, timeout=300,
                               env=os.environ | {"PYTHONHASHSEED": "random"})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert digests(json.loads((work / "out.json").read_text())) == expected
    assert not list(tmp_path.rglob(".hypothesis")), "grading left a .hypothesis folder in the working directory"


def test_notebook_check_draws_the_same_inputs(expected) -> None:
    report = notebook.check("max_pool_forward", history=[CORRECT.read_text()])
    graded = report_digests(report)
    assert graded and graded == {name: expected[name] for name in graded}


def test_identical_submissions_in_a_batch_get_identical_inputs(expected, tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for student in ("ada", "ben", "cy"):
        shutil.copy(CORRECT, submissions / f"{student}.py")
    run_batch(ASSIGNMENT, submissions, tmp_path / "out", jobs=2, settings=Settings("quick"))
    for student in ("ada", "ben", "cy"):
        assert digests(json.loads((tmp_path / "out" / student / "results.json").read_text())) == expected


def test_gradescope_entry_point_draws_the_same_inputs(expected, tmp_path: Path) -> None:
    (tmp_path / "submission").mkdir()
    shutil.copy(CORRECT, tmp_path / "submission" / f"{ASSIGNMENT}.py")
    assert digests(run_gradescope(ASSIGNMENT, tmp_path, profile="quick")) == expected


def test_validate_grades_the_reference_on_the_same_inputs(expected) -> None:
    run = Run(ROOT, profile="quick")
    reference.check(ASSIGNMENT, run)
    assert report_digests(run.reports[ASSIGNMENT][0]) == expected


def test_dask_workers_draw_the_same_inputs(expected, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="distributed is not installed: pip install '.[dask]'")
    from grader.batch.dask_executor import DaskExecutor

    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(CORRECT, submissions / "dee.py")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        with DaskExecutor(cluster=cluster) as executor:
            run_batch(ASSIGNMENT, submissions, tmp_path / "out", settings=Settings("quick"), executor=executor)
    assert digests(json.loads((tmp_path / "out" / "dee" / "results.json").read_text())) == expected


def test_a_different_seed_draws_different_inputs(expected) -> None:
    other = report_digests(grade(ASSIGNMENT, CORRECT, Settings(seed=1)))
    assert other["max_forward_values"] != expected["max_forward_values"]
