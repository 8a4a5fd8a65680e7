"""The base of every assignment's PyTorch oracle: expected values computed with PyTorch, in float64.

Each assignment's unit subclasses ``TorchOracle`` with the methods its checks need (``grader/suites/<name>/
oracles.py``); it is the oracle of the released (student) package, which has no ``reference/``. Gradients always
come from autograd, in both modes. ``tensor`` and ``array`` convert in float64 and back to the input's dtype, so
the only error left in a comparison is the student's.
"""

from __future__ import annotations

import numpy as np

from grader.oracles import torch_process
from grader.oracles.lazy_torch import fetch_in_background, torch


def tensor(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    """``array`` as a float64 tensor (a leaf that records gradients when ``grad``)."""
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def array(value: torch.Tensor, like: np.ndarray) -> np.ndarray:
    """A tensor back as a numpy array of ``like``'s dtype."""
    return value.detach().numpy().astype(like.dtype)


def backpropagate(out: torch.Tensor, dout: np.ndarray) -> None:
    """``out.backward(dout)``, computed as the gradient of ``sum(out * dout)``: the same numbers, without the
    symbolic-shapes machinery (and its sympy import, a second or more) that ``backward`` with a gradient loads."""
    (out * tensor(dout)).sum().backward()


class TorchOracle:
    """An assignment's semantics computed with PyTorch; subclasses add one method per quantity a check needs."""

    name = "pytorch"
    uses_torch = True  # False in an adapter of the reference that overrides every method

    def __init__(self) -> None:
        if self.uses_torch and torch_process.current() is None:
            fetch_in_background()  # the first gradient, or the first expected value in student mode, needs it
