"""The conv assignment's inputs: convolution and padding cases, generated (valid by construction) or fixed (the
lecture's worked examples)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from hypothesis import strategies as st

from grader.suites.strategies import DTYPES, arrays, side, with_random_values


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

    def resampled(self, seed: int) -> "ConvCase":
        """The same convolution with other random values (see with_random_values)."""
        return with_random_values(self, seed)


def conv_output_shape(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> tuple[int, int, int, int]:
    """(N, F, H', W') with H' = 1 + (H + 2*pad - HH) // stride."""
    (n, _, h, width), (f, _, hh, ww) = x.shape, w.shape
    return n, f, 1 + (h + 2 * pad - hh) // stride, 1 + (width + 2 * pad - ww) // stride


@st.composite
def conv_cases(draw: st.DrawFn, max_batch: int = 3) -> ConvCase:
    """Convolutions from 1x1 kernels to kernels as large as the padded input, any stride up to 4."""
    dtype = draw(st.sampled_from(DTYPES))
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

    def resampled(self, seed: int) -> "PadCase":
        return with_random_values(self, seed)


@st.composite
def pad_cases(draw: st.DrawFn) -> PadCase:
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.integers(1, n)) for n in (2, 3, 5, 5))
    return PadCase(draw(arrays(dtype, shape)), draw(st.integers(0, 3)))
