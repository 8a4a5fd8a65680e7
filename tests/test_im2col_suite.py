"""The im2col suite: correct solutions pass, a loop over output pixels is too slow, each mistake is named, and the
speed check trusts only plausible timings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import SUBMISSIONS, as_notebook
from grader.runner import grade
from grader.suites import get_suite
from grader.suites.framework import CheckFailed
from grader.suites.im2col import FACTOR, SPEED_PROBES, best_times

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

IM2COL = SUBMISSIONS / "im2col"
MISTAKES = {
    "rows_ijc": {"im2col", "conv_forward_im2col"},
    "columns_hwn": {"im2col", "conv_forward_im2col"},
    "padding_forgotten": {"im2col", "conv_forward_im2col"},
    "stride_ignored": {"im2col", "conv_forward_im2col"},
    "reshape_without_transpose": {"conv_forward_im2col"},
}


def failing(report) -> dict[str, str]:
    return {r.name: r.message for r in report.results if not r.passed}


def test_a_correct_vectorised_solution_scores_full_marks() -> None:
    report = grade("im2col", IM2COL / "correct_vectorised.py")
    assert report.score == report.max_score > 0, failing(report)
    speed = next(r for r in report.results if r.name == "fast_enough")
    assert speed.details["ratio"] < FACTOR and "bar 25x" in speed.notes[0]


def test_a_correct_notebook_scores_full_marks(tmp_path: Path) -> None:
    report = grade("im2col", as_notebook(IM2COL / "correct_vectorised.py", tmp_path / "im2col.ipynb"))
    assert report.score == report.max_score, failing(report)


def test_a_loop_over_output_pixels_fails_only_the_speed_check() -> None:
    messages = failing(grade("im2col", IM2COL / "correct_loops_too_slow.py"))
    assert list(messages) == ["fast_enough"]
    assert "conv_forward_im2col is too slow" in messages["fast_enough"]
    assert f"the bar is {FACTOR}x" in messages["fast_enough"]
    assert "not a loop over output pixels" in messages["fast_enough"]


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_mistake_fails_its_functions_and_is_named(mistake: str, submission) -> None:
    report = grade("im2col", submission("im2col", "correct_vectorised.py", f"mistakes/{mistake}.py"))
    assert {f for r in report.results if not r.passed for f in r.functions} == MISTAKES[mistake], failing(report)
    assert 0 < report.score < report.max_score
    named = {r.diagnosis for r in report.results if r.diagnosis}
    assert len(named) == 1 and named <= {m.sentence for m in get_suite("im2col").mistakes}, named


def test_stopping_the_probes_clock_fails_the_speed_check_as_untrusted(submission) -> None:
    messages = failing(grade("im2col", submission("im2col", "correct_loops_too_slow.py", "faults/stops_the_clock.py")))
    assert list(messages) == ["fast_enough"]
    assert "the grader cannot trust the timings" in messages["fast_enough"]


@pytest.mark.parametrize("timed, wall, reason", [
    ({"student": [0.002], "peer": [0.0]}, 1.0, "the probe returned"),
    ({"student": [0.002, -0.001], "peer": [0.001]}, 1.0, "the probe returned"),
    ({"student": [], "peer": [0.001]}, 1.0, "the probe returned"),
    ({"student": ["0.002"], "peer": [0.001]}, 1.0, "the probe returned"),
    ("fast", 1.0, "the probe returned"),
    ({"student": [0.5], "peer": [0.5]}, 0.9, "add up to 1.000 s, but the call took 0.900 s"),
    ({"student": [0.00001], "peer": [0.001]}, 1.0, "less than a tenth"),
], ids=["zero", "negative", "empty", "text", "not-a-dict", "more-than-the-wall-clock", "too-fast-to-be-true"])
def test_implausible_timings_are_not_trusted(timed, wall: float, reason: str) -> None:
    with pytest.raises(CheckFailed, match="the grader cannot trust the timings") as failure:
        best_times(timed, wall)
    assert reason in failure.value.message


def test_plausible_timings_give_the_best_of_each() -> None:
    assert best_times({"student": [0.004, 0.003], "peer": [0.002, 0.001]}, 1.0) == (0.003, 0.001)


def test_the_speed_probe_imports_nothing_of_the_grader_or_the_reference() -> None:
    tree = ast.parse(SPEED_PROBES.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "time", "typing", "numpy"}
