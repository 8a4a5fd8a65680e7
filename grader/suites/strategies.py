"""Hypothesis strategies every suite may build its inputs from: arrays that are small, exact where it matters,
and readable when shrunk.

float64 arrays hold arbitrary floats in [-4, 4]; float32 arrays hold
multiples of 1/8 in [-4, 4], whose products and sums are exact in float32, so
a correct solution passes whatever order it adds in. ``distinct`` arrays hold
no two equal values (every pooling window has a single maximum).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
FLOAT32 = (np.dtype(np.float32),)  # the inputs of the dtype checks: float64 in, float64 out proves nothing


def values(dtype: np.dtype) -> st.SearchStrategy[float]:
    """Array elements: any float in float64; exact eighths in float32."""
    if dtype == np.float32:
        return st.integers(-32, 32).map(lambda v: v / 8)
    return st.floats(-4, 4, allow_nan=False, allow_subnormal=False)


def arrays(dtype: np.dtype, shape: tuple[int, ...], distinct: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` and ``dtype``; with ``distinct``, no two elements are equal (tie-free pooling)."""
    if distinct:
        size = int(np.prod(shape))
        return hnp.arrays(dtype, shape, elements=st.integers(-4 * size, 4 * size).map(lambda v: v / 4), unique=True)
    return hnp.arrays(dtype, shape, elements=values(dtype))


def side(kernel: int, pad: int, extra: int = 6) -> st.SearchStrategy[int]:
    """An input side length that the kernel fits once padded, from a tight fit to a few pixels more."""
    return st.integers(max(1, kernel - 2 * pad), max(1, kernel - 2 * pad) + extra)
