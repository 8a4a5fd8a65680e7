"""Whether the weights fit returned were trained from the initial weights the grader handed it.

Two measures, both taken by the grader on the returned weights (the child reports nothing here):

* kinship: in each large weight tensor, the correlation of the returned weights with the initial ones. Training
  keeps it (every step starts where the last one ended); weights made anywhere else are unrelated to a draw the
  child first saw in this run, and show a correlation of about N(0, 1/size), so it is read in standard deviations.
* need: with the initial weights' part of each layer (what it computes with them, weighted by how much each
  output moves the logits) replaced by the same part of a second secret draw, a network trained from the first
  draw falls to near chance: training adapts every layer to the others' initial weights. A network that carries
  them beside knowledge from elsewhere (``init + k * pretrained``, or pretrained weights whose units were
  reordered to look like the initial draw) keeps much of that knowledge whichever draw it carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from grader.data.mnist import normalize
from grader.suites.train.measures import lenet_holding, measure, one_thread

LAYERS = ("conv1", "conv2", "fc1", "fc2", "fc3")  # parameters() holds each one's weight at 2 * index
KIN_LAYERS = ("conv2", "fc1", "fc2")  # 98 % of LeNet-5's weights; conv1 (150) and fc3 (840) are too small to tell
MIN_KINSHIP = 5.0  # standard deviations of the correlation unrelated weights show
MAX_STAND_IN = 0.3  # test accuracy left to the network with the stand-in draw in place of its initial weights
SAMPLE = 1000  # test images on which each layer's initial part is weighed (the subset has 500)


@dataclass(frozen=True)
class Descent:
    """The grader's measures of descent: per layer, the kinship (in standard deviations) and the initial weights'
    part; the test accuracy of the returned network and of the same network on the stand-in draw."""

    kinship: dict[str, float]
    parts: dict[str, float]
    accuracy: float
    stand_in_accuracy: float

    def problem(self) -> str:
        """Why these weights were not trained from the initial ones, in a sentence; '' when they were."""
        unrelated = [name for name in KIN_LAYERS if not self.kinship[name] >= MIN_KINSHIP]  # NaN is unrelated
        if unrelated:
            shown = ", ".join(f"{name} {self.kinship[name]:.1f}" for name in KIN_LAYERS)
            return (f"the weights fit returned are not a training of the model it was handed: in {', '.join(unrelated)} "
                    f"they are no closer to the initial weights the grader drew than weights made elsewhere would be "
                    f"(correlation with them, in standard deviations of chance: {shown}; training keeps at least "
                    f"{MIN_KINSHIP:g}). fit must train the model it is given from the weights it has: do not "
                    "re-initialise it, replace its layers, or load weights into it")
        if not self.stand_in_accuracy <= MAX_STAND_IN:
            return (f"the network fit returned does not need the initial weights it was handed: with another random "
                    f"draw in their place it still scores {self.stand_in_accuracy:.2%} (against {self.accuracy:.2%}), "
                    f"where a network trained from its initial weights falls to near chance (at most "
                    f"{MAX_STAND_IN:.0%}). Its knowledge came from elsewhere, not from training the model it was given")
        return ""

    def as_json(self) -> dict[str, object]:
        return {"kinship": self.kinship, "parts": self.parts, "stand_in_accuracy": self.stand_in_accuracy}


def kinship(weights: list[np.ndarray], initial: list[np.ndarray]) -> dict[str, float]:
    """Per layer, the correlation of the returned weight tensor with the initial one, times sqrt(its size): for
    weights unrelated to the initial draw it is a standard normal variable."""
    scores = {}
    for index, name in enumerate(LAYERS):
        trained, start = (np.asarray(w[2 * index], np.float64).ravel() for w in (weights, initial))
        norms = float(np.linalg.norm(trained) * np.linalg.norm(start))
        scores[name] = float(trained @ start) / norms * math.sqrt(trained.size) if norms > 0 else 0.0
    return scores


def weighted_layers(model: nn.Module) -> dict[str, nn.Module]:
    """LeNet-5's layers that hold weights, by name (``LAYERS``), in the order of the network's modules."""
    return dict(zip(LAYERS, (m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))), strict=True))


def without_bias(layer: nn.Module, inputs: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """What ``layer`` computes on ``inputs`` with ``weight`` in place of its own and no bias."""
    if isinstance(layer, nn.Conv2d):
        return F.conv2d(inputs, weight, None, layer.stride, layer.padding)
    return F.linear(inputs, weight)


def initial_parts(model: nn.Module, initial: list[np.ndarray], images: torch.Tensor) -> dict[str, float]:
    """Per layer, the coefficient of what the initial weights compute in what the layer computes, on the layer's
    own inputs in ``model``, each output weighted by the square of how much it moves the logits (summed over the
    classes): outputs that change nothing (a dead unit, one the next layer ignores) count for nothing."""
    inputs, outputs = {}, {}

    def keep(name: str):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            inputs[name], outputs[name] = args[0].detach(), output
        return hook

    layers = weighted_layers(model)
    handles = [layers[name].register_forward_hook(keep(name)) for name in LAYERS]
    try:
        with torch.enable_grad(), one_thread():
            logits = model(images)
            sensitivity = {name: torch.zeros_like(outputs[name]) for name in LAYERS}
            for k in range(logits.shape[1]):
                grads = torch.autograd.grad(logits[:, k].sum(), [outputs[name] for name in LAYERS], retain_graph=True)
                for name, grad in zip(LAYERS, grads):
                    sensitivity[name] += grad.square()
    finally:
        for handle in handles:
            handle.remove()
    parts = {}
    with torch.no_grad(), one_thread():
        for index, name in enumerate(LAYERS):
            layer = layers[name]
            own = without_bias(layer, inputs[name], layer.weight)
            start = without_bias(layer, inputs[name], torch.from_numpy(initial[2 * index]))
            denominator = float((sensitivity[name] * start * start).sum())
            parts[name] = float((sensitivity[name] * own * start).sum()) / denominator if denominator > 0 else 0.0
    return parts


def on_stand_in(weights: list[np.ndarray], initial: list[np.ndarray], stand_in: list[np.ndarray],
                parts: dict[str, float]) -> list[np.ndarray]:
    """The returned weights with each layer's part of the initial weights replaced by the same part of the
    stand-in draw (biases unchanged)."""
    swapped = [np.array(w, np.float32) for w in weights]
    for index, name in enumerate(LAYERS):
        swapped[2 * index] += np.float32(parts[name]) * (stand_in[2 * index] - initial[2 * index])
    return swapped


def judge(weights: list[np.ndarray], initial: list[np.ndarray], stand_in: list[np.ndarray], images: np.ndarray,
          labels: np.ndarray) -> Descent:
    """The descent measures of returned weights (LeNet-5's), against the initial draw, on the grader's test images."""
    model = lenet_holding(weights)
    accuracy, _ = measure(model, images, labels)
    parts = initial_parts(model, initial, torch.from_numpy(normalize(images[:SAMPLE])))
    stand_in_accuracy, _ = measure(lenet_holding(on_stand_in(weights, initial, stand_in, parts)), images, labels)
    return Descent(kinship(weights, initial), parts, accuracy, stand_in_accuracy)
