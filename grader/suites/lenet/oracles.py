"""The lenet assignment's oracles: LeNet-5's parameter count, shapes and layer table for a configuration, and its
logits (and those of the classic mistakes) under given weights and inputs.

The grader's own LeNet-5 (model.py) computes them wherever it is installed: the instructor's install and the
Gradescope zip. The student release leaves model.py out (it is the answer) and reads instead what ``publish.py``
recorded from it: every configuration's facts, and the logits for the published weights and inputs, as data
(``published.json``, ``published.npz``). ``reference/lenet.py``'s network stands in for model.py where the reference
is installed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle
from grader.suites.lenet.layer_table import layer_table
from grader.suites.lenet.network import load_parameters

HERE = Path(__file__).parent
PUBLISHED_FACTS, PUBLISHED_LOGITS = HERE / "published.json", HERE / "published.npz"
MODEL = "grader.suites.lenet.model"  # withheld from the student release
SPREAD = 1e-2  # logits that differ by less across a batch and the classes say nothing about a network


def configuration(num_classes: int, in_channels: int) -> str:
    """The key of a configuration in the published facts."""
    return f"{num_classes},{in_channels}"


def recording(x: np.ndarray, weights: Sequence[np.ndarray]) -> str:
    """The key of a recorded forward pass: the inputs' and the weights' bytes."""
    digest = hashlib.sha256()
    for array in (x, *weights):
        digest.update(f"{array.dtype}{array.shape}".encode() + np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:32]


def layout_recording(padding: int, built_for: int, x: np.ndarray, weights: Sequence[np.ndarray]) -> str:
    """The key of a recorded forward pass of LeNet-5 laid out with conv1's padding, built for a side."""
    return f"{recording(x, weights)} padding {padding} for {built_for}"


def forward(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


class LenetTorch(TorchOracle):
    """The specification: the grader's own LeNet-5 (model.py), for any configuration and any weights."""

    any_configuration = True  # computes logits in every configuration (LenetPublished: recorded ones only)

    def lenet(self, num_classes: int = 10, in_channels: int = 1) -> torch.nn.Module:
        from grader.suites.lenet.model import LeNet5Variant  # withheld from the student release: imported here only

        return LeNet5Variant(num_classes, in_channels)

    def facts(self, num_classes: int, in_channels: int) -> dict[str, Any]:
        """Parameter count, parameter shapes in order, and the layer table."""
        model = self.lenet(num_classes, in_channels)
        return {"parameters": sum(p.numel() for p in model.parameters()),
                "shapes": [list(p.shape) for p in model.parameters()],
                "table": layer_table(model, torch.zeros(1, in_channels, 28, 28))}

    def logits(self, num_classes: int, in_channels: int, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
        model = self.lenet(num_classes, in_channels)
        problem = load_parameters(model, weights)
        if problem:
            raise ValueError(problem)
        return forward(model, x)

    def mistaken_logits(self, num_classes: int, in_channels: int, x: np.ndarray, weights: list[np.ndarray],
                        only: str = "") -> dict[str, np.ndarray]:
        """What each variant students build by mistake (model.variants(), those that differ least first; ``only``:
        the one of that description) computes under the same weights, by its description."""
        from grader.suites.lenet.model import LeNet5Variant, described, variants  # withheld from the student release

        variant = LeNet5Variant(num_classes, in_channels)
        if load_parameters(variant, weights):
            return {}
        found = {}
        for design in variants():
            if only in ("", described(design)):
                variant.design = design
                found[described(design)] = forward(variant, x)
        return found

    def layout_logits(self, padding: int, built_for: int, num_classes: int, in_channels: int, x: np.ndarray,
                      weights: list[np.ndarray]) -> np.ndarray:
        """What LeNet-5 with conv1's ``padding``, its fc1 sized for input of side ``built_for``, computes on ``x``
        under the weights (which have its shapes)."""
        from grader.suites.lenet.model import LeNet5Variant, mistaken  # withheld from the student release

        model = LeNet5Variant(num_classes, in_channels, mistaken(padding=padding, built_for=built_for))
        problem = load_parameters(model, weights)
        if problem:
            raise ValueError(problem)
        return forward(model, x)


class LenetReference(ReferenceOracle, LenetTorch):
    """reference/lenet.py: the network itself."""

    def lenet(self, num_classes: int = 10, in_channels: int = 1) -> torch.nn.Module:
        return self.module.LeNet5(num_classes=num_classes, in_channels=in_channels)


class LenetPublished(TorchOracle):
    """What publish.py recorded from the grader's own LeNet-5, for the student release: facts of every configuration
    the checks draw, logits for the published weights and inputs only (LookupError for any other)."""

    name = "published"
    any_configuration = False

    def facts(self, num_classes: int, in_channels: int) -> dict[str, Any]:
        return published()["facts"][configuration(num_classes, in_channels)]

    def logits(self, num_classes: int, in_channels: int, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
        return recorded(recording(x, weights))

    def mistaken_logits(self, num_classes: int, in_channels: int, x: np.ndarray, weights: list[np.ndarray],
                        only: str = "") -> dict[str, np.ndarray]:
        key = recording(x, weights)
        return {mistake: recorded(f"{key} {index}") for index, mistake in enumerate(published()["mistakes"])
                if only in ("", mistake)}

    def layout_logits(self, padding: int, built_for: int, num_classes: int, in_channels: int, x: np.ndarray,
                      weights: list[np.ndarray]) -> np.ndarray:
        return recorded(layout_recording(padding, built_for, x, weights))


@functools.cache
def published() -> dict[str, Any]:
    return json.loads(PUBLISHED_FACTS.read_text())


@functools.cache
def published_logits() -> dict[str, np.ndarray]:
    with np.load(PUBLISHED_LOGITS, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def recorded(key: str) -> np.ndarray:
    found = published_logits().get(key)
    if found is None:
        raise LookupError("the student release records LeNet-5's logits for its published weights and inputs only")
    return found


def has_own_model() -> bool:
    """Whether the grader's own LeNet-5 is installed here (the instructor's install, the Gradescope zip)."""
    return importlib.util.find_spec(MODEL) is not None


def pytorch_oracle() -> LenetTorch | LenetPublished:
    """The grader's own LeNet-5 where it is installed, else what was recorded from it (the student release)."""
    return LenetTorch() if has_own_model() else LenetPublished()
