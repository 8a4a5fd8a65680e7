"""What a fit got wrong, named from what the grader measured: the weights it returned against the initial ones, the
network's answers on the test images, and the losses it reported against the training loss the grader measures."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.suites.train.descent import LAYERS

RECOMMENDED = "try Adam with lr=1e-3, or SGD with momentum 0.9 and lr=0.02"
COLLAPSED = 0.5  # share of the test images given the same class above which the network answers one class


def unchanged_layers(weights: list[np.ndarray], initial: list[np.ndarray]) -> list[str]:
    """The layers whose weight and bias are exactly the initial ones."""
    return [name for index, name in enumerate(LAYERS)
            if all(np.array_equal(weights[i], initial[i]) for i in (2 * index, 2 * index + 1))]


def training_problem(weights: list[np.ndarray], initial: list[np.ndarray]) -> str:
    """A sentence naming what stopped training, seen in the weights alone; '' when nothing shows there."""
    if not all(np.isfinite(w).all() for w in weights):
        return ("the weights fit returned hold NaN or infinite values: training diverged. Lower the learning rate, "
                "and call optimizer.zero_grad() before each loss.backward() (gradients otherwise pile up)")
    unchanged = unchanged_layers(weights, initial)
    if len(unchanged) == len(LAYERS):
        return ("fit handed back the model with the initial weights it was given, unchanged: no optimizer step "
                "reached its parameters. Build the optimizer from this model's parameters() and call "
                "optimizer.step() after each loss.backward()")
    if unchanged:
        return (f"{', '.join(unchanged)} kept the initial weights while the other layers trained: is the optimizer "
                "given all of model.parameters()?")
    return ""


def below_the_bar(weights: list[np.ndarray], initial: list[np.ndarray], predictions: np.ndarray) -> str:
    """Why a network is below the bar, as far as the grader can tell, else the configurations that clear it."""
    problem = training_problem(weights, initial)
    if problem:
        return problem
    counts = np.bincount(predictions, minlength=10)
    if counts.max() > COLLAPSED * len(predictions):
        return (f"the network answers class {counts.argmax()} for {counts.max() / len(predictions):.0%} of the test "
                "images: training collapsed. Lower the learning rate, and call optimizer.zero_grad() before each "
                f"loss.backward() ({RECOMMENDED})")
    return RECOMMENDED


def losses_do_not_fall(reported: list[float], measured: float, weights: list[np.ndarray],
                       initial: list[np.ndarray]) -> str:
    """Why fit's losses do not fall, told apart by the training loss the grader measures on the model it trained."""
    problem = training_problem(weights, initial)
    if problem:
        return problem
    if not any(reported):
        return ("fit returned 0 for every epoch: nothing is added to the running total. Add each batch's loss to it "
                "(total += loss.item() * len(labels)), then divide by the number of examples")
    if len(set(reported)) == 1 and measured < 0.8 * reported[0]:
        return (f"fit returned the same loss, {reported[0]:.4g}, for every epoch, yet the model it trained has a "
                f"training loss of {measured:.4f}: return each epoch's own mean loss (add loss.item() times the batch "
                "size to a total for every batch of the epoch, then divide by the number of examples)")
    if reported[-1] > reported[0] and measured > math.log(10):
        return ("fit's losses rise and the model it trained is no better than chance: training diverges. Lower the "
                "learning rate, and call optimizer.zero_grad() before each loss.backward()")
    return "is the optimizer stepping, and are gradients zeroed before each backward()?"


def wrong_count(reported: Any, epochs: int, batches: int) -> str:
    """A hint when fit returned one loss per batch rather than one per epoch; '' otherwise."""
    if isinstance(reported, (list, tuple)) and len(reported) in (batches, batches * epochs) and len(reported) > epochs:
        return (f" (it returned {len(reported)} values, one per batch: return one per epoch, the mean over that "
                "epoch's batches)")
    return ""
