"""What the train check says a fit got wrong, told apart by the grader's own measures (issue 24): the weights fit
returned against the initial ones, the network's answers, and the losses it reported against the measured one."""

from __future__ import annotations

import math

import numpy as np

from grader.suites.train import hints
from grader.suites.train.draws import draws

INITIAL = draws(0).initial
TRAINED = draws(1).initial  # any other weights stand for a trained network here


def test_a_fit_that_never_steps_is_told_no_step_reached_the_model() -> None:
    assert "initial weights it was given, unchanged" in hints.training_problem(INITIAL, INITIAL)


def test_an_optimizer_given_part_of_the_parameters_is_named_by_the_layers_left_alone() -> None:
    only_fc3 = [*INITIAL[:8], *TRAINED[8:]]
    message = hints.training_problem(only_fc3, INITIAL)
    assert message.startswith("conv1, conv2, fc1, fc2 kept the initial weights") and "model.parameters()" in message


def test_weights_that_blew_up_are_told_training_diverged() -> None:
    blown = [w.copy() for w in TRAINED]
    blown[4][0, 0] = np.nan
    assert "training diverged" in hints.training_problem(blown, INITIAL)
    assert "zero_grad" in hints.training_problem(blown, INITIAL)


def test_a_network_answering_one_class_is_told_training_collapsed() -> None:
    predictions = np.full(1000, 3)
    predictions[:20] = 1
    assert "answers class 3 for 98% of the test images: training collapsed" in hints.below_the_bar(
        TRAINED, INITIAL, predictions)


def test_below_the_bar_with_nothing_wrong_to_see_recommends_configurations() -> None:
    assert hints.below_the_bar(TRAINED, INITIAL, np.arange(1000) % 10) == hints.RECOMMENDED


def test_a_loss_never_summed_is_told_apart_from_an_optimizer_that_does_not_step() -> None:
    assert "nothing is added to the running total" in hints.losses_do_not_fall([0.0, 0.0], 0.1, TRAINED, INITIAL)
    constant = hints.losses_do_not_fall([2.31, 2.31], 0.12, TRAINED, INITIAL)
    assert "the same loss, 2.31, for every epoch, yet the model it trained has a training loss of 0.1200" in constant
    assert "unchanged" in hints.losses_do_not_fall([2.31, 2.31], 2.31, INITIAL, INITIAL)


def test_rising_losses_of_a_network_no_better_than_chance_are_told_training_diverges() -> None:
    assert "training diverges" in hints.losses_do_not_fall([2.0, 2.4], math.log(10) + 0.5, TRAINED, INITIAL)


def test_one_loss_per_batch_is_told_to_return_one_per_epoch() -> None:
    assert "one per batch" in hints.wrong_count([0.1] * 141, 2, 141)
    assert "one per batch" in hints.wrong_count([0.1] * 282, 2, 141)
    assert hints.wrong_count([0.1] * 3, 2, 141) == ""
