"""Hypothesis strategies for the suites: inputs that are valid by construction, small, and readable when shrunk.

float64 arrays hold arbitrary floats in [-4, 4]; float32 arrays hold
multiples of 1/8 in [-4, 4], whose products and sums are exact in float32, so
a correct solution passes whatever order it adds in. Max-pool inputs hold
distinct values, so every window has a single maximum, and are now and then
scaled far from zero (by 2**20 or 2**50, exactly), so that a running maximum
started at a finite sentinel such as -100000 meets windows entirely below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

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


@dataclass(frozen=True)
class ConvCase:
    """Inputs to conv_forward and conv_backward: x, w, b, stride, pad and an upstream gradient."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    dout: np.ndarray

    @property
    def conv_param(self) -> dict[str, int]:
        return {"stride": self.stride, "pad": self.pad}

    def describe(self) -> str:
        return f"x {self.x.shape} {self.x.dtype}, w {self.w.shape}, pad={self.pad}, stride={self.stride}"

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {"x": self.x, "w": self.w, "b": self.b, "dout": self.dout}


def conv_output_shape(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> tuple[int, int, int, int]:
    """(N, F, H', W') with H' = 1 + (H + 2*pad - HH) // stride."""
    (n, _, h, width), (f, _, hh, ww) = x.shape, w.shape
    return n, f, 1 + (h + 2 * pad - hh) // stride, 1 + (width + 2 * pad - ww) // stride


@st.composite
def conv_cases(draw: st.DrawFn, dtypes: tuple[np.dtype, ...] = DTYPES, max_batch: int = 3) -> ConvCase:
    """Convolutions from 1x1 kernels to kernels as large as the padded input, any stride up to 4."""
    dtype = draw(st.sampled_from(dtypes))
    n, c, f = draw(st.integers(1, max_batch)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pad = draw(st.integers(0, max(hh, ww) - 1))
    stride = draw(st.integers(1, 4))
    h, width = draw(side(hh, pad)), draw(side(ww, pad))
    x = draw(arrays(dtype, (n, c, h, width)))
    w = draw(arrays(dtype, (f, c, hh, ww)))
    b = draw(arrays(dtype, (f,)))
    dout = draw(arrays(dtype, conv_output_shape(x, w, stride, pad)))
    return ConvCase(x, w, b, stride, pad, dout)


def conv_case(x: list, w: list, b: list | None = None, stride: int = 1, pad: int = 0,
              dtype: type = np.float64) -> ConvCase:
    """A fixed example from nested lists; 2-D lists mean one image, one channel, one filter."""
    xa, wa = np.array(x, dtype=dtype), np.array(w, dtype=dtype)
    xa = xa.reshape((1, 1) + xa.shape) if xa.ndim == 2 else xa
    wa = wa.reshape((1, 1) + wa.shape) if wa.ndim == 2 else wa
    ba = np.zeros(wa.shape[0], dtype=dtype) if b is None else np.array(b, dtype=dtype)
    dout = np.ones(conv_output_shape(xa, wa, stride, pad), dtype=dtype)
    return ConvCase(xa, wa, ba, stride, pad, dout)


@dataclass(frozen=True)
class PadCase:
    """Inputs to zero_pad."""

    x: np.ndarray
    pad: int

    def describe(self) -> str:
        return f"x {self.x.shape} {self.x.dtype}, pad={self.pad}"

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {"x": self.x}


@st.composite
def pad_cases(draw: st.DrawFn, dtypes: tuple[np.dtype, ...] = DTYPES) -> PadCase:
    dtype = draw(st.sampled_from(dtypes))
    shape = tuple(draw(st.integers(1, n)) for n in (2, 3, 5, 5))
    return PadCase(draw(arrays(dtype, shape)), draw(st.integers(0, 3)))


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


def pool_output_shape(x: np.ndarray, ph: int, pw: int, stride: int) -> tuple[int, int, int, int]:
    n, c, h, w = x.shape
    return n, c, 1 + (h - ph) // stride, 1 + (w - pw) // stride


SCALES = (1.0, 2.0**20, 2.0**50)


@st.composite
def pool_cases(draw: st.DrawFn, distinct: bool = False, dtypes: tuple[np.dtype, ...] = DTYPES,
               overlapping: bool = False) -> PoolCase:
    """Pooling windows from 1x1 up, overlapping (stride < window) or spread out (stride > window), on values near
    zero or far from it; with ``overlapping``, windows always overlap in at least one direction."""
    dtype = draw(st.sampled_from(dtypes))
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
