"""The `im2col` assignment: convolution as one matrix multiplication, checked for values and for speed.

`im2col(x, HH, WW, stride, pad)` lays every window of the zero-padded input out
as a column of a (C*HH*WW, N*H_out*W_out) matrix, rows ordered (c, i, j) and
columns (n, h, w) (PyTorch's `unfold` with the batch side by side);
`conv_forward_im2col(x, w, b, conv_param)` returns conv_forward's output. The
speed check times conv_forward_im2col in the sandbox child against a fixed
numpy workload of the same size (speed_probes.py, beside this file) and decides
from the returned numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from hypothesis import strategies as st

from grader import compare
from grader.evidence import SpeedFigures
from grader.suites.agreement import Agreement, same_method
from grader.suites.conv import EDGE_CASES, FORWARD_INPUTS, WORKED_EXAMPLES
from grader.suites.conv.cases import ConvCase, conv_cases, conv_output_shape
from grader.suites.framework import CheckFailed, Context, Oracles, Suite, float32_only, numpy_only
from grader.suites.im2col.oracles import Im2colReference, Im2colTorch
from grader.suites.strategies import DTYPES, arrays, side, with_random_values

SPEED_PROBES = Path(__file__).with_name("speed_probes.py")


suite = Suite("im2col", functions=("im2col", "conv_forward_im2col"),
              policy=replace(numpy_only("im2col"), probe_modules=(("_grader_speed_probes", SPEED_PROBES),)),
              oracles=Oracles(pytorch=Im2colTorch, reference=Im2colReference))


@dataclass(frozen=True)
class Im2colCase:
    """Inputs to im2col: x, the kernel's size, the stride and the padding."""

    x: np.ndarray
    HH: int
    WW: int
    stride: int
    pad: int

    @property
    def args(self) -> tuple[np.ndarray, int, int, int, int]:
        return self.x, self.HH, self.WW, self.stride, self.pad

    def describe(self) -> str:
        return f"x {self.x.shape} {self.x.dtype}, HH={self.HH}, WW={self.WW}, stride={self.stride}, pad={self.pad}"

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {"x": self.x}

    def resampled(self, seed: int) -> "Im2colCase":
        return with_random_values(self, seed)


@st.composite
def im2col_cases(draw: st.DrawFn) -> Im2colCase:
    """Batches of up to 3 images of up to 3 channels, kernels from 1x1 to the padded input, strides up to 4."""
    dtype = draw(st.sampled_from(DTYPES))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pad, stride = draw(st.integers(0, max(hh, ww) - 1)), draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(side(hh, pad)), draw(side(ww, pad)))
    return Im2colCase(draw(arrays(dtype, shape)), hh, ww, stride, pad)


def im2col_case(x: list, HH: int, WW: int, stride: int = 1, pad: int = 0) -> Im2colCase:
    """A fixed example from nested lists; a 2-D list means one image with one channel."""
    xa = np.array(x, dtype=np.float64)
    return Im2colCase(xa.reshape((1, 1) + xa.shape) if xa.ndim == 2 else xa, HH, WW, stride, pad)


IM2COL_EXAMPLES = (
    im2col_case([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2, 2),
    im2col_case(np.arange(2 * 3 * 2 * 3).reshape(2, 3, 2, 3), 1, 1),
    im2col_case(np.arange(2 * 2 * 5 * 4).reshape(2, 2, 5, 4), 3, 2, stride=2, pad=1),
    im2col_case(np.arange(16).reshape(4, 4), 2, 2, stride=3),
)


# One stream of inputs for im2col's checks and one for conv_forward_im2col's (see grader.families).
IM2COL_CASES = im2col_cases()
CONV_CASES = conv_cases()


@suite.check("im2col returns a (C*HH*WW, N*H_out*W_out) matrix, H_out = 1 + (H + 2*pad - HH) // stride", points=1,
             functions=["im2col"], cases=IM2COL_CASES, examples=IM2COL_EXAMPLES)
def im2col_shape(ctx: Context, case: Im2colCase) -> None:
    got, expected = ctx.call("im2col", *case.args), ctx.oracle.im2col(*case.args)
    if getattr(got, "shape", None) != expected.shape:
        ctx.expect_array("im2col's result", got, expected, case)


@suite.check("im2col puts the window of output pixel (n, h, w) in column (n*H_out + h)*W_out + w, its values in "
             "row (c*HH + i)*WW + j", points=3, functions=["im2col"], cases=IM2COL_CASES, examples=IM2COL_EXAMPLES)
def im2col_values(ctx: Context, case: Im2colCase) -> None:
    ctx.expect_array("im2col's result", ctx.call("im2col", *case.args), ctx.oracle.im2col(*case.args), case)


@suite.check("im2col keeps the input's dtype (float32 in, float32 out)", points=0.5, functions=["im2col"],
             cases=IM2COL_CASES)
def im2col_dtype(ctx: Context, case: Im2colCase) -> None:
    float32_only(case.x)
    got = ctx.given(lambda: ctx.call("im2col", *case.args))
    ctx.expect_dtype("im2col's result", got, ctx.oracle.im2col(*case.args), case)


def forward(ctx: Context, case: ConvCase) -> np.ndarray:
    """The student's conv_forward_im2col output, checked to come as (out, cache); the cache stays in the child."""
    result = ctx.call("conv_forward_im2col", case.x, case.w, case.b, case.conv_param, keep=(1,))
    return ctx.unpack("conv_forward_im2col", result, ("out", "cache"))[0]


def expected_forward(ctx: Context, case: ConvCase) -> np.ndarray:
    return ctx.oracle.conv_forward(case.x, case.w, case.b, case.stride, case.pad)


@suite.check("conv_forward_im2col reproduces the lecture's worked examples", points=1,
             functions=["conv_forward_im2col"], cases=st.sampled_from(WORKED_EXAMPLES), shows=FORWARD_INPUTS)
def forward_worked_examples(ctx: Context, case: ConvCase) -> None:
    ctx.expect_array("conv_forward_im2col's out", forward(ctx, case), expected_forward(ctx, case), case)


@suite.check("conv_forward_im2col returns conv_forward's output: the cross-correlation plus the bias, "
             "(N, F, H_out, W_out)", points=3, functions=["conv_forward_im2col"], cases=CONV_CASES,
             examples=EDGE_CASES, shows=FORWARD_INPUTS)
def forward_values(ctx: Context, case: ConvCase) -> None:
    forward_worked_examples(ctx, case)


@suite.check("conv_forward_im2col keeps the input's dtype (float32 in, float32 out)", points=0.5,
             functions=["conv_forward_im2col"], cases=CONV_CASES, shows=FORWARD_INPUTS)
def forward_dtype(ctx: Context, case: ConvCase) -> None:
    float32_only(case.x)
    out = ctx.given(lambda: forward(ctx, case))
    ctx.expect_dtype("conv_forward_im2col's out", out, expected_forward(ctx, case), case)


# The speed check: the student's time over the peer workload's, both measured in the child with one clock.
# The bar. Measured in the sandbox on 2 busy cores, in multiples of the peer's time: im2col solutions 1-2x, einsum
# 4-6x, a broadcast product 12-15x, a Python loop over the output pixels 75-160x.
FACTOR = 25
FLOOR = 0.1  # below a tenth of the peer's time, a convolution cannot have done its work: the timings are untrusted
REPEATS, BUDGET, PROBE_SECONDS = 5, 2.0, 60.0
UNTRUSTED = ("the grader cannot trust the timings measured next to your code ({}): each call must do the whole "
             "computation; does your code keep results between calls, or change the grader's timing probe, the "
             "clock or numpy?")


def speed_case() -> ConvCase:
    """The fixed mid-size input: 64 one-channel 32x32 images, two 3x3 filters, stride 1, pad 1. Little work per
    output pixel, so what a loop over output pixels adds per pixel stands out."""
    rng = np.random.default_rng(2024)
    x, w, b = rng.standard_normal((64, 1, 32, 32)), rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2)
    return ConvCase(x, w, b, 1, 1, np.zeros(conv_output_shape(x, w, 1, 1)))


SPEED_CASE = speed_case()


def best_times(timed: Any, wall: float) -> tuple[float, float]:
    """The student's and the peer's best time from the probe's report; CheckFailed when the report is not plain
    positive seconds, claims more time than the call took, or has the student beat the peer tenfold."""
    runs = [timed.get(key) if isinstance(timed, dict) else None for key in ("student", "peer")]
    if not all(isinstance(r, list) and r and all(type(t) is float and math.isfinite(t) and t > 0 for t in r)
               for r in runs):
        raise CheckFailed(UNTRUSTED.format(f"the probe returned {compare.wire_text(runs)[:120]}"))
    student, peer = runs
    if sum(student) + sum(peer) > wall:
        raise CheckFailed(UNTRUSTED.format(f"they add up to {sum(student) + sum(peer):.3f} s, but the call took "
                                           f"{wall:.3f} s"))
    if min(student) < FLOOR * min(peer):
        raise CheckFailed(UNTRUSTED.format(f"{min(student) * 1e3:.3f} ms for the convolution is less than a tenth "
                                           f"of the {min(peer) * 1e3:.3f} ms one copy of its column matrix plus its "
                                           "matrix product take"))
    return min(student), min(peer)


@suite.check(f"conv_forward_im2col on a mid-size input runs within {FACTOR}x the time of one copy of its column "
             "matrix plus its matrix product (no Python loop over output pixels)", points=2,
             functions=["conv_forward_im2col"], cases=st.just(SPEED_CASE), shows=FORWARD_INPUTS)
def fast_enough(ctx: Context, case: ConvCase) -> None:
    n, f, h_out, w_out = case.dout.shape
    peer_shape = (f, case.w[0].size, n * h_out * w_out)
    started = time.perf_counter()
    timed = ctx.probe("time_conv_forward", case.x, case.w, case.b, case.conv_param, peer_shape, REPEATS, BUDGET,
                      label="conv_forward_im2col", seconds=PROBE_SECONDS)
    student, peer = best_times(timed, time.perf_counter() - started)
    ctx.expect_array("conv_forward_im2col's out (in the timed run)", timed["out"], expected_forward(ctx, case), case)
    ratio = student / peer
    figures = SpeedFigures(student, peer, ratio, FACTOR, len(timed["student"]))
    ctx.observe(f"conv_forward_im2col took {student * 1e3:.2f} ms on {case.describe()}: {ratio:.1f}x the "
                f"{peer * 1e3:.2f} ms of one copy of the column matrix plus the matrix product (bar {FACTOR}x)",
                figures)
    if ratio > FACTOR:
        raise CheckFailed(f"conv_forward_im2col is too slow: {ratio:.0f}x the time of one copy of its column matrix "
                          f"plus its matrix product, the bar is {FACTOR}x. Build the columns with a few big slices (a "
                          "loop over the HH*WW kernel offsets at most), not a loop over output pixels", [figures])


# Classic mistakes: when a check fails, the grader names the first one whose output the student's matches.

def _rows_ijc(oracle, x, hh, ww, stride, pad):
    """The columns with each window's values ordered (i, j, c): channel last, as an NHWC habit gives."""
    cols = oracle.im2col(x, hh, ww, stride, pad)
    return cols.reshape(x.shape[1], hh, ww, -1).transpose(1, 2, 0, 3).reshape(cols.shape)


def _columns_hwn(oracle, x, hh, ww, stride, pad):
    """The columns ordered (h, w, n): the image index varying fastest instead of slowest."""
    cols = oracle.im2col(x, hh, ww, stride, pad)
    return cols.reshape(cols.shape[0], x.shape[0], -1).transpose(0, 2, 1).reshape(cols.shape)


def _product(cols, x, w, b, stride, pad, nchw=True):
    """What conv_forward_im2col returns for these columns: w.reshape(F, -1) @ cols + b, moved to (N, F, H', W')
    (with ``nchw=False``, reshaped straight to (N, F, H', W') without moving the filter axis)."""
    n, f, h_out, w_out = conv_output_shape(x, w, stride, pad)
    product = w.reshape(f, -1) @ cols + b[:, None]
    out = product.reshape(f, n, h_out, w_out).transpose(1, 0, 2, 3) if nchw else product.reshape(n, f, h_out, w_out)
    return np.ascontiguousarray(out, dtype=x.dtype)


def _with_cols(make_cols, x, w, b, stride, pad, **how):
    """conv_forward_im2col computed from columns that ``make_cols(x, HH, WW, stride, pad)`` lays out."""
    return _product(make_cols(x, w.shape[2], w.shape[3], stride, pad), x, w, b, stride, pad, **how)


suite.mistake(
    "rows ordered (i, j, c)", "Your columns list each window's values as (i, j, c), channel last: order the rows "
    "(c, i, j), channel first, the order of w[f].reshape(-1), so that w.reshape(F, -1) @ cols pairs each weight "
    "with its input.", ["im2col", "conv_forward_im2col"],
    im2col=_rows_ijc,
    conv_forward=lambda o, x, w, b, s, p: _with_cols(lambda *a: _rows_ijc(o, *a), x, w, b, s, p))
suite.mistake(
    "columns ordered (h, w, n)", "Your columns are ordered (h, w, n), image index last: put the windows image by "
    "image, column (n*H_out + h)*W_out + w, so that reshape(F, N, H_out, W_out) splits them back.",
    ["im2col", "conv_forward_im2col"],
    im2col=_columns_hwn,
    conv_forward=lambda o, x, w, b, s, p: _with_cols(lambda *a: _columns_hwn(o, *a), x, w, b, s, p))
suite.mistake(
    "padding forgotten", "Your result matches windows of the unpadded input: pad x with pad zeros on each side of H "
    "and W first, and count the padding in H_out = 1 + (H + 2*pad - HH) // stride.", ["im2col", "conv_forward_im2col"],
    im2col=lambda o, x, hh, ww, s, p: o.im2col(x, hh, ww, s, 0),
    conv_forward=lambda o, x, w, b, s, p: _with_cols(o.im2col, x, w, b, s, 0))
suite.mistake(
    "stride ignored", "Your columns hold a window at every pixel: the window of output pixel (h, w) starts at row "
    "stride*h and column stride*w.", ["im2col"],
    im2col=lambda o, x, hh, ww, s, p: o.im2col(x, hh, ww, 1, p))
suite.mistake(
    "output reshaped without a transpose", "Your output equals the product reshaped straight to (N, F, H_out, W_out): "
    "its columns are ordered (n, h, w), so reshape it to (F, N, H_out, W_out), then move F behind N with "
    ".transpose(1, 0, 2, 3).", ["conv_forward_im2col"],
    conv_forward=lambda o, x, w, b, s, p: _with_cols(o.im2col, x, w, b, s, p, nchw=False))


def as_student(oracle: Any) -> dict[str, Any]:
    """The student API computed by an oracle: how a mistake of the catalogue behaves as a submission."""

    def conv_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple:
        return oracle.conv_forward(x, w, b, conv_param["stride"], conv_param["pad"]), (x, w, b, conv_param)

    return {"im2col": oracle.im2col, "conv_forward_im2col": conv_forward_im2col}


suite.agreements.append(Agreement("im2col", im2col_cases(), same_method("im2col")))
