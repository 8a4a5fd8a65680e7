"""The grader's own measures of a LeNet-5 it holds: accuracy and mean cross-entropy on images only it has."""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import torch

from grader.data.mnist import normalize
from grader.suites.lenet.network import load_parameters, network
from grader.suites.params import LENET


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Torch in one thread meanwhile: the same figures on any number of cores (a regrade elsewhere replays them),
    and no thread waiting at every operation for a core another process took."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def lenet_holding(weights: list[np.ndarray]) -> torch.nn.Module:
    """The specified LeNet-5 with these parameters (in ``parameters()`` order, of LeNet-5's shapes), in eval mode."""
    model = network(LENET)
    problem = load_parameters(model, weights)
    if problem:
        raise ValueError(problem)
    return model.eval()


def logits(model: torch.nn.Module, images: np.ndarray) -> torch.Tensor:
    """The model's outputs for uint8 images (N, 28, 28), computed by the grader in batches."""
    with torch.no_grad(), one_thread():
        return torch.cat([model(torch.from_numpy(normalize(images[start : start + 1000])))
                          for start in range(0, len(images), 1000)])


def measure(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``model``, computed by the grader."""
    out, expected = logits(model, images), torch.from_numpy(labels)
    return float((out.argmax(1) == expected).double().mean()), float(torch.nn.functional.cross_entropy(out, expected))
