"""Hypothesis strategies every suite may build its inputs from: arrays that are small, exact where it matters,
and readable when shrunk.

float64 arrays hold arbitrary floats in [-4, 4]; float32 arrays hold
multiples of 1/8 in [-4, 4], whose products and sums are exact in float32, so
a correct solution passes whatever order it adds in. ``distinct`` arrays hold
no two equal values (every pooling window has a single maximum).

An array is two choices, not one per element: a kind and a number. Most kinds are random values that numpy
expands from the number (a seed); the first few are patterns a student can read at a glance (zeros, ones, a single
one, counting), which is where shrinking a failure goes. Hypothesis pays for every choice it makes (drawing it, and
the bookkeeping its mutations and shrinking keep per choice): drawn element by element, arrays were most of a
grade's time.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

Fill = Callable[[int, int], np.ndarray]  # (size, the drawn number) -> flat float64 values


def zeros(size: int, _: int) -> np.ndarray:
    return np.zeros(size)


def ones(size: int, _: int) -> np.ndarray:
    return np.ones(size)


def single_one(size: int, number: int) -> np.ndarray:
    """A one at one position (the drawn number's), zeros elsewhere: which input reaches which output."""
    values = np.zeros(size)
    values[number % size] = 1
    return values


def counting(size: int, _: int) -> np.ndarray:
    """1, 2, 3, 4, 0, 1, ...: every position tells apart from its neighbours."""
    return np.arange(1, size + 1) % 5.0


def counting_up(size: int, _: int) -> np.ndarray:
    return np.arange(size, dtype=float)


def counting_down(size: int, _: int) -> np.ndarray:
    return np.arange(size, 0, -1, dtype=float)


def random_values(dtype: np.dtype) -> Fill:
    """Any float in [-4, 4] in float64; eighths in float32 (exact whatever the order of a sum)."""
    if dtype == np.float32:
        return lambda size, seed: np.random.default_rng(seed).integers(-32, 33, size) / 8
    return lambda size, seed: np.random.default_rng(seed).uniform(-4, 4, size)


def random_distinct(size: int, seed: int) -> np.ndarray:
    """Quarters in [-size, size], no two alike."""
    return np.random.default_rng(seed).choice(np.arange(-4 * size, 4 * size + 1), size, replace=False) / 4


PATTERNS: tuple[Fill, ...] = (zeros, ones, single_one, counting)
DISTINCT_PATTERNS: tuple[Fill, ...] = (counting_up, counting_down)
RANDOM_SHARE = 3  # random kinds per pattern: most inputs are random, shrinking heads for the patterns


@lru_cache(maxsize=4096)  # one strategy per (dtype, shape): building and validating one costs more than a draw
def arrays(dtype: np.dtype, shape: tuple[int, ...], distinct: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` and ``dtype``; with ``distinct``, no two elements are equal (tie-free pooling)."""
    size = int(np.prod(shape))
    patterns = DISTINCT_PATTERNS if distinct else PATTERNS
    fills = patterns + (random_distinct if distinct else random_values(dtype),) * (RANDOM_SHARE * len(patterns))

    def build(kind_and_number: tuple[int, int]) -> np.ndarray:
        kind, number = kind_and_number
        return fills[kind](size, number).reshape(shape).astype(dtype)

    return st.tuples(st.integers(0, len(fills) - 1), st.integers(0, 2**32 - 1)).map(build)


def side(kernel: int, pad: int, extra: int = 6) -> st.SearchStrategy[int]:
    """An input side length that the kernel fits once padded, from a tight fit to a few pixels more."""
    return st.integers(max(1, kernel - 2 * pad), max(1, kernel - 2 * pad) + extra)


def with_random_values(case: Any, seed: int, distinct: bool = False) -> Any:
    """``case`` (a dataclass whose ``arrays()`` are fields of it) with random values of the same shapes and dtypes
    in each array, drawn from ``seed``: the diagnosis compares a mistake with the student's code on such copies of a
    shrunk input, where a pattern (zeros, ones, counting) could make two mistakes agree by chance."""
    fresh = {}
    for index, (name, array) in enumerate(case.arrays().items()):
        fill = random_distinct if distinct else random_values(array.dtype)
        fresh[name] = fill(array.size, seed * 1000 + index).reshape(array.shape).astype(array.dtype)
    return dataclasses.replace(case, **fresh)
