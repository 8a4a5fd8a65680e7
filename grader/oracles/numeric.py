"""Numerical gradients by central differences: a witness that does not depend on autograd or the reference."""

from __future__ import annotations

from typing import Callable

import numpy as np


def central_differences(loss: Callable[[], float], array: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """d loss / d array, one entry at a time; ``array`` (float64) is perturbed in place and restored."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + step
        above = loss()
        array[index] = saved - step
        gradient[index] = (above - loss()) / (2 * step)
        array[index] = saved
    return gradient
