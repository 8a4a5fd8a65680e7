"""`grader.check(function)` in a notebook grades that function from the cells run so far, in the sandbox."""

from __future__ import annotations

import pytest

import grader
from conftest import SUBMISSIONS
from grader.results import FAILED, NOT_GRADED

CORRECT = (SUBMISSIONS / "conv" / "correct_loops.py").read_text()
FLIPPED = (SUBMISSIONS / "conv" / "mistakes" / "flipped_kernel.py").read_text()


def test_check_grades_only_the_named_function_from_the_history() -> None:
    history = ["%matplotlib inline", CORRECT, "import grader", "grader.check('conv_forward')"]
    report = grader.check("conv_forward", history=history)
    assert report.results and all("conv_forward" in r.functions for r in report.results)
    assert report.all_passed and not report.load_messages


def test_a_later_cell_redefining_the_function_is_what_is_graded() -> None:
    report = grader.check("conv_forward", history=[CORRECT, FLIPPED])
    failed = [r for r in report.results if r.status == FAILED]
    assert failed and all("kernel flipped" in r.diagnosis for r in failed)
    assert all(r.passed or r.status in (FAILED, NOT_GRADED) for r in report.results)


def test_unknown_function_names_the_graded_ones() -> None:
    with pytest.raises(ValueError, match="conv_forward"):
        grader.check("conv_forwards", history=[])


def test_outside_a_notebook_it_says_where_to_call_it() -> None:
    with pytest.raises(RuntimeError, match="inside Jupyter or IPython"):
        grader.check("zero_pad")
