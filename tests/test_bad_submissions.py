"""Bad input gets a clear message and loses nothing: every other check still runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import SUBMISSIONS
from grader.results import CRASHED, NOT_GRADED, PASSED, TIMED_OUT
from grader.runner import grade
from grader.suites import get_suite

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

CONV_FUNCTIONS = {"conv_output_size", "zero_pad", "conv_forward", "conv_backward"}
FORWARD_AND_DEPENDENTS = {"conv_forward", "conv_backward"}  # conv_backward needs conv_forward's cache

# fault -> (the functions whose checks fail, a phrase of the message, the status of conv_forward's checks)
FAULTS = {
    "infinite_loop": (FORWARD_AND_DEPENDENTS, "timed out after", TIMED_OUT),
    "sleeps": (FORWARD_AND_DEPENDENTS, "timed out after", TIMED_OUT),
    "segfault": (FORWARD_AND_DEPENDENTS, "SIGSEGV", CRASHED),
    "exits": (FORWARD_AND_DEPENDENTS, "exited with code 0", CRASHED),
    "memory_bomb": (FORWARD_AND_DEPENDENTS, "ran out of memory", "failed"),
    "sys_exit": ({"conv_forward"}, "sys.exit", "failed"),  # an exception: conv_backward is not graded
    "returns_list": ({"conv_forward"}, "is a list; expected a numpy.ndarray", "failed"),
    "returns_wrong_shape": ({"conv_forward"}, "has shape", "failed"),
    # conv_backward is graded on the inputs where conv_forward returns cleanly (here: inputs it leaves equal).
    "modifies_input": ({"conv_forward"}, "modified its input", "failed"),
    "wrong_dtype": ({"conv_forward"}, "has dtype float64; expected float32", "failed"),
}


# The time limit of one call in the tests whose conv_forward hangs: the grader's own setting (the suite's sandbox
# policy, 10 s) made shorter, so that a hang costs 2 s instead of 10 (as the red team's hangs do). The calls that must
# pass meanwhile (conv_output_size, zero_pad) take milliseconds, far inside it on a loaded machine too. The 10 s
# default is what the batch tests' hanging students wait out (test_batch_faults.py, test_class_summary.py).
HANG_SECONDS = 2.0


def shorter_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    suite = get_suite("conv")
    monkeypatch.setattr(suite, "policy", dataclasses.replace(
        suite.policy, limits=dataclasses.replace(suite.policy.limits, call_seconds=HANG_SECONDS)))


def by_function(report, function: str) -> list:
    return [r for r in report.results if function in r.functions]


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_fails_only_its_function(fault: str, submission, monkeypatch: pytest.MonkeyPatch) -> None:
    functions, phrase, status = FAULTS[fault]
    if status == TIMED_OUT:
        shorter_time_limit(monkeypatch)
    report = grade("conv", submission("conv", "correct_loops.py", f"faults/{fault}.py"))
    failed = {f for r in report.results if r.status not in (PASSED, NOT_GRADED) for f in r.functions}
    assert failed == functions
    forward = [r for r in by_function(report, "conv_forward") if not r.passed]
    assert phrase in forward[0].message and forward[0].status == status
    assert all(r.status in (PASSED, NOT_GRADED) for f in CONV_FUNCTIONS - functions for r in by_function(report, f))


@pytest.mark.slow
def test_a_hanging_function_costs_one_time_limit_not_one_per_check(submission,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first check that calls conv_forward waits out the limit; the others are told so without calling it: all
    of them together take less than one more limit (each would take at least one if it called conv_forward)."""
    shorter_time_limit(monkeypatch)
    report = grade("conv", submission("conv", "correct_loops.py", "faults/infinite_loop.py"))
    timed_out = [r for r in report.results if r.status == TIMED_OUT]
    assert len(timed_out) >= 4
    assert f"timed out after {HANG_SECONDS:g} s" in timed_out[0].message and timed_out[0].seconds >= HANG_SECONDS
    assert sum(r.seconds for r in timed_out[1:]) < HANG_SECONDS
    assert all("earlier check" in r.message for r in timed_out[1:])


def test_a_call_that_prints_more_than_the_cap_fails_only_its_function(submission) -> None:
    report = grade("conv", submission("conv", "correct_loops.py", "faults/prints_a_lot.py"))
    forward = by_function(report, "conv_forward")
    assert all(not r.passed and "printed more than 4 MB in one call" in r.message for r in forward)
    assert all(r.passed for f in ("conv_output_size", "zero_pad") for r in by_function(report, f))
    shown = max((r.output for r in report.results), key=len)
    assert "more bytes of output not shown" in shown and len(shown) < 30_000


def test_syntax_error_fails_every_check_naming_the_line() -> None:
    report = grade("conv", SUBMISSIONS / "conv" / "broken" / "syntax_error.py")
    assert report.score == 0 and len(report.results) == len(get_suite("conv").checks)
    assert all("SyntaxError" in r.message and "line" in r.message for r in report.results)


def test_missing_function_fails_only_its_checks() -> None:
    report = grade("conv", SUBMISSIONS / "conv" / "broken" / "missing_function.py")
    failed = [r for r in report.results if not r.passed]
    assert {f for r in failed for f in r.functions} == {"conv_backward"}
    assert all("conv_backward is not defined in your submission" in r.message for r in failed)


def test_import_error_is_reported_with_the_module_name() -> None:
    report = grade("conv", SUBMISSIONS / "conv" / "broken" / "import_error.py")
    assert report.score == 0
    assert any("ModuleNotFoundError" in m for m in report.load_messages)


def test_torch_in_a_numpy_assignment_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "conv.py").write_text("import numpy as np\nimport torch\n\n"
                                      + (SUBMISSIONS / "conv" / "correct_loops.py").read_text())
    report = grade("conv", tmp_path / "conv.py")
    assert report.score == 0
    assert "torch is not allowed in the conv assignment: write it with numpy only" in report.results[0].message


def test_torch_through_importlib_inside_a_function_fails_that_function(tmp_path: Path) -> None:
    source = (SUBMISSIONS / "conv" / "correct_loops.py").read_text() + (
        "\n\ndef zero_pad(x, pad):\n    import importlib\n"
        "    return importlib.import_module('to' + 'rch').nn.functional.pad(x, (pad,) * 4)\n")
    (tmp_path / "conv.py").write_text(source)
    report = grade("conv", tmp_path / "conv.py")
    pad = next(r for r in report.results if r.name == "zero_pad_pads_height_and_width")
    assert not pad.passed and "torch is not allowed" in pad.message


def test_corrupt_notebook_fails_every_check_with_an_actionable_message(tmp_path: Path) -> None:
    (tmp_path / "conv.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "def conv_')
    report = grade("conv", tmp_path / "conv.ipynb")
    assert report.score == 0 and len(report.results) == len(get_suite("conv").checks)
    assert all("not a readable notebook" in r.message for r in report.results)


def test_notebook_cell_that_raises_is_skipped_and_reported(tmp_path: Path) -> None:
    import nbformat

    code = (SUBMISSIONS / "pool" / "correct_loops.py").read_text()
    cells = [nbformat.v4.new_code_cell("raise RuntimeError('exploring')"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "pool.ipynb")
    report = grade("pool", tmp_path / "pool.ipynb")
    assert report.score == report.max_score
    assert report.load_messages == ["pool.ipynb, cell 1: RuntimeError: exploring"]
