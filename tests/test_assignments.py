"""The released assignments: in sync with the reference, stubs score 0, the reference scores full marks."""

from __future__ import annotations

import pytest

from conftest import ROOT
from grader.release import out_of_sync
from grader.runner import grade

ASSIGNMENTS = ["conv", "pool", "params"]


def test_assignments_are_exactly_what_release_generates() -> None:
    assert out_of_sync(ROOT) == [], "run `grader release` (make release) and commit assignments/"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_untouched_stub_scores_zero(assignment: str, kind: str) -> None:
    report = grade(assignment, ROOT / "assignments" / assignment / f"{assignment}.{kind}")
    assert report.score == 0 and report.max_score > 0
    assert all("NotImplementedError" in r.message for r in report.results)
    assert not report.load_messages


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("oracle", ["reference", "pytorch"])
def test_reference_solution_scores_full_marks_under_both_oracles(assignment: str, oracle: str) -> None:
    report = grade(assignment, ROOT / "reference" / f"{assignment}.py", oracle=oracle)
    assert report.score == report.max_score, [r.message for r in report.results if not r.passed]
    assert report.oracle == oracle
