"""The descent check's measures (grader/suites/train/descent.py) on weights built to know the answer, in process."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grader.suites.train import descent
from grader.suites.train.draws import draws
from grader.suites.train.measures import lenet_holding

RUN = draws(0)


def test_kinship_is_the_correlation_in_standard_deviations_of_chance() -> None:
    own = descent.kinship(RUN.initial, RUN.initial)
    assert own["fc1"] == pytest.approx(math.sqrt(RUN.initial[4].size))
    unrelated = descent.kinship(RUN.stand_in, RUN.initial)
    assert all(abs(score) < 4 for score in unrelated.values()), unrelated


def test_each_layers_initial_part_is_the_coefficient_of_the_initial_weights_in_what_it_computes() -> None:
    images = torch.randn(16, 1, 28, 28)
    assert descent.initial_parts(lenet_holding(RUN.initial), RUN.initial, images) == pytest.approx(
        dict.fromkeys(descent.LAYERS, 1.0))
    doubled = [2 * w if i % 2 == 0 else w for i, w in enumerate(RUN.initial)]
    assert descent.initial_parts(lenet_holding(doubled), RUN.initial, images) == pytest.approx(
        dict.fromkeys(descent.LAYERS, 2.0))


def test_on_the_stand_in_the_initial_part_is_swapped_and_the_biases_kept() -> None:
    swapped = descent.on_stand_in(RUN.initial, RUN.initial, RUN.stand_in, dict.fromkeys(descent.LAYERS, 1.0))
    assert all(np.allclose(swapped[i], RUN.stand_in[i]) for i in range(0, 10, 2))
    assert all(np.array_equal(swapped[i], RUN.initial[i]) for i in range(1, 10, 2))


def verdict(kin: float, stand_in: float) -> str:
    return descent.Descent(dict.fromkeys(descent.LAYERS, kin), dict.fromkeys(descent.LAYERS, 1.0), 0.985,
                           stand_in).problem()


def test_the_verdict_names_unrelated_weights_then_weights_that_do_not_need_their_start() -> None:
    assert verdict(30.0, 0.1) == ""
    assert verdict(1.2, 0.1).startswith("the weights fit returned are not a training of the model it was handed")
    assert verdict(float("nan"), 0.1).startswith("the weights fit returned are not a training")
    assert verdict(30.0, 0.9).startswith("the network fit returned does not need the initial weights")
    assert "90.00%" in verdict(30.0, 0.9) and "at most 30%" in verdict(30.0, 0.9)
