"""The pool assignment's inputs. Max-pool inputs hold distinct values, so every window has a single maximum, and
are now and then scaled far from zero (by 2**20 or 2**50, exactly), so that a running maximum started at a
finite sentinel such as -100000 meets windows entirely below it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from hypothesis import strategies as st

from grader.suites.strategies import DTYPES, arrays, side, with_random_values


@dataclass(frozen=True)
class PoolCase:
    """Inputs to a pooling layer's forward and backward pass."""

    x: np.ndarray
    pool_height: int
    pool_width: int
    stride: int
    dout: np.ndarray

    @property
    def pool_param(self) -> dict[str, int]:
        return {"pool_height": self.pool_height, "pool_width": self.pool_width, "stride": self.stride}

    def describe(self) -> str:
        return (f"x {self.x.shape} {self.x.dtype}, pool_height={self.pool_height}, "
                f"pool_width={self.pool_width}, stride={self.stride}")

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {"x": self.x, "dout": self.dout}

    def resampled(self, seed: int) -> "PoolCase":
        """The same pooling with other random values, distinct (one maximum per window; see with_random_values)."""
        return with_random_values(self, seed, distinct=True)


def pool_output_shape(x: np.ndarray, ph: int, pw: int, stride: int) -> tuple[int, int, int, int]:
    n, c, h, w = x.shape
    return n, c, 1 + (h - ph) // stride, 1 + (w - pw) // stride


SCALES = (1.0, 2.0**20, 2.0**50)


@st.composite
def pool_cases(draw: st.DrawFn, distinct: bool = False, overlapping: bool = False) -> PoolCase:
    """Pooling windows from 1x1 up, overlapping (stride < window) or spread out (stride > window), on values near
    zero or far from it; with ``overlapping``, windows always overlap in at least one direction."""
    dtype = draw(st.sampled_from(DTYPES))
    ph, pw = draw(st.integers(2 if overlapping else 1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, ph - 1 if overlapping else 4))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(side(ph, 0)), draw(side(pw, 0)))
    x = draw(arrays(dtype, shape, distinct=distinct)) * dtype.type(draw(st.sampled_from(SCALES)))
    dout = draw(arrays(dtype, pool_output_shape(x, ph, pw, stride)))
    return PoolCase(x, ph, pw, stride, dout)


def pool_case(x: list, size: int, stride: int, dtype: type = np.float64, width: int | None = None) -> PoolCase:
    """A fixed pooling example from a 2-D list (one image, one channel), with a gradient of ones; the window is
    size x size, or size x width."""
    xa = np.array(x, dtype=dtype)
    xa = xa.reshape((1, 1) + xa.shape)
    width = width or size
    return PoolCase(xa, size, width, stride, np.ones(pool_output_shape(xa, size, width, stride), dtype=dtype))
