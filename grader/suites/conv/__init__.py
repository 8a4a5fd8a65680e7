"""The `conv` assignment: convolution output sizes, zero padding, and the forward and backward pass.

Layout is NCHW; "convolution" means cross-correlation (no kernel flip);
output sizes round down. Each check below is one sentence of the
specification, tested on generated inputs and on the lecture's examples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader.evidence import GradientError, GradientErrors
from grader.oracles.numeric import central_differences
from grader.suites.agreement import Agreement, same_array, same_value
from grader.suites.conv.cases import ConvCase, PadCase, conv_case, conv_cases, conv_output_shape, pad_cases
from grader.suites.conv.oracles import ConvReference, ConvTorch
from grader.suites.framework import (INT_OF_ARRAY, INT_OF_ARRAY_SENTENCE, CheckFailed, Context, Oracles, Skipped,
                                     Suite, float32_only, int_of_array, numpy_only, transposed)
from grader.suites.strategies import with_random_values


suite = Suite(
    "conv",
    functions=("conv_output_size", "zero_pad", "conv_forward", "conv_backward"),
    policy=numpy_only("conv"),
    oracles=Oracles(pytorch=ConvTorch, reference=ConvReference),
)

WORKED_EXAMPLES = (
    conv_case([[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3], [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8],
               [2, 4, 5, 2, 3, 9]], [[1, 0, -1]] * 3),
    conv_case([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], [[1, 0], [1, -1]]),
    conv_case([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]],
              [[0, 1, 2], [2, 2, 0], [0, 1, 2]]),
    conv_case([[2, 3, 7, 4, 6, 2, 9], [6, 6, 9, 8, 7, 4, 3], [3, 4, 8, 3, 8, 9, 7], [7, 8, 3, 6, 6, 3, 4],
               [4, 2, 1, 8, 3, 4, 6], [3, 2, 4, 1, 9, 8, 3], [0, 1, 3, 9, 2, 1, 4]],
              [[3, 4, 4], [1, 0, 2], [-1, 0, 3]], stride=2),
)
FORWARD_INPUTS = ("x", "w", "b")
# The generated convolutions: every check of the forward and backward pass draws from this one stream, so each input
# is drawn once and the student's conv_forward and conv_backward run once on it, whatever the number of checks.
CASES = conv_cases()
PAD_CASES = pad_cases()
EDGE_CASES = (
    conv_case(np.arange(1, 10).reshape(3, 3), [[2]]),
    conv_case(np.arange(16).reshape(4, 4) % 5, [[1, 2], [3, 4]], stride=3),
    conv_case(np.arange(25).reshape(5, 5) % 7, [[1, 0, 2], [0, -1, 1], [3, 1, 0]], stride=2, pad=1),
    conv_case(np.arange(2 * 2 * 5 * 4).reshape(2, 2, 5, 4) % 6, np.arange(2 * 2 * 2 * 3).reshape(2, 2, 2, 3) % 4 - 1,
              b=[1.0, -2.0], stride=2, pad=1),
)
# Backward examples: padding 0, 1 and 2 side by side (a crop written for one padding breaks the others), non-square
# inputs and kernels, strides that do not divide.
BACKWARD_EXAMPLES = EDGE_CASES[2:] + (
    conv_case(np.arange(5 * 7).reshape(5, 7) % 9 - 4, [[1, -1, 2], [0, 3, 1]], stride=2),
    conv_case(np.arange(2 * 4 * 3).reshape(1, 2, 4, 3) % 5, np.arange(2 * 2 * 2 * 2).reshape(2, 2, 2, 2) % 3 - 1,
              b=[0.5, 1.5], stride=3, pad=2),
)


@st.composite
def sizes(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(n, f, pad, stride) where the kernel fits the padded input."""
    f, pad, stride = draw(st.integers(1, 7)), draw(st.integers(0, 3)), draw(st.integers(1, 5))
    return draw(st.integers(max(1, f - 2 * pad), 40)), f, pad, stride


@st.composite
def impossible_sizes(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(n, f, pad, stride) with a kernel wider than the padded input, or a stride below 1."""
    if draw(st.booleans()):
        n, pad = draw(st.integers(1, 10)), draw(st.integers(0, 2))
        return n, draw(st.integers(n + 2 * pad + 1, n + 2 * pad + 5)), pad, draw(st.integers(1, 3))
    return draw(st.integers(3, 10)), draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(-2, 0))


class SizeCase(tuple):
    """(n, f, pad, stride), described for messages."""

    def describe(self) -> str:
        n, f, pad, stride = self
        return f"n={n}, f={f}, pad={pad}, stride={stride}"

    def arrays(self) -> dict:
        return {}


@suite.check("conv_output_size is 1 + (n + 2*pad - f) // stride, rounded down", points=1,
             functions=["conv_output_size"], cases=sizes().map(SizeCase),
             examples=[SizeCase((32, 5, 2, 1)), SizeCase((7, 3, 0, 3)), SizeCase((10, 3, 0, 2))])
def output_size_formula(ctx: Context, case: SizeCase) -> None:
    n, f, pad, stride = case
    got = ctx.call("conv_output_size", n, f, pad=pad, stride=stride)
    ctx.expect_value("conv_output_size", got, ctx.oracle.conv_output_size(n, f, pad, stride), case)


@suite.check("conv_output_size raises ValueError when the kernel does not fit or stride < 1", points=1,
             functions=["conv_output_size"], cases=impossible_sizes().map(SizeCase),
             examples=[SizeCase((3, 5, 0, 1)), SizeCase((5, 3, 0, 0))])
def output_size_rejects_impossible(ctx: Context, case: SizeCase) -> None:
    n, f, pad, stride = case
    ctx.expect_raises("conv_output_size", "ValueError", case, n, f, pad=pad, stride=stride)


@suite.check("zero_pad adds pad zeros on both sides of H and W only", points=1,
             functions=["zero_pad"], cases=PAD_CASES, examples=[PadCase(np.ones((1, 1, 2, 3)), 1)])
def zero_pad_pads_height_and_width(ctx: Context, case: PadCase) -> None:
    got = ctx.call("zero_pad", case.x, case.pad)
    ctx.expect_array("zero_pad's result", got, ctx.oracle.zero_pad(case.x, case.pad), case)


@suite.check("zero_pad keeps the input's dtype (float32 in, float32 out)", points=0.5, functions=["zero_pad"],
             cases=PAD_CASES)
def zero_pad_dtype(ctx: Context, case: PadCase) -> None:
    float32_only(case.x)
    got = ctx.given(lambda: ctx.call("zero_pad", case.x, case.pad))
    ctx.expect_dtype("zero_pad's result", got, ctx.oracle.zero_pad(case.x, case.pad), case)


def forward(ctx: Context, case: ConvCase) -> tuple[np.ndarray, object]:
    """Call the student's conv_forward, check it returned (out, cache), and keep the cache in the child."""
    result = ctx.call("conv_forward", case.x, case.w, case.b, case.conv_param, keep=(1,))
    return ctx.unpack("conv_forward", result, ("out", "cache"))


@suite.check("conv_forward reproduces the lecture's worked examples", points=1,
             functions=["conv_forward"], cases=st.sampled_from(WORKED_EXAMPLES), shows=FORWARD_INPUTS)
def forward_worked_examples(ctx: Context, case: ConvCase) -> None:
    out, _ = forward(ctx, case)
    ctx.expect_array("conv_forward's out", out, ctx.oracle.conv_forward(case.x, case.w, case.b, case.stride,
                                                                         case.pad), case)


@suite.check("conv_forward returns out of shape (N, F, 1 + (H + 2*pad - HH) // stride, 1 + (W + 2*pad - WW) // stride)",
             points=1, functions=["conv_forward"], cases=CASES, examples=EDGE_CASES, shows=FORWARD_INPUTS)
def forward_shape(ctx: Context, case: ConvCase) -> None:
    out, _ = forward(ctx, case)
    expected = ctx.oracle.conv_forward(case.x, case.w, case.b, case.stride, case.pad)
    if getattr(out, "shape", None) != expected.shape:
        ctx.expect_array("conv_forward's out", out, expected, case)


@suite.check("conv_forward computes the cross-correlation of x with each filter, plus its bias", points=3,
             functions=["conv_forward"], cases=CASES, examples=EDGE_CASES + WORKED_EXAMPLES,
             shows=FORWARD_INPUTS)
def forward_values(ctx: Context, case: ConvCase) -> None:
    out, _ = forward(ctx, case)
    expected = ctx.oracle.conv_forward(case.x, case.w, case.b, case.stride, case.pad)
    ctx.expect_array("conv_forward's out", out, expected, case)


@suite.check("conv_forward keeps the input's dtype (float32 in, float32 out)", points=0.5,
             functions=["conv_forward"], cases=CASES, shows=FORWARD_INPUTS)
def forward_dtype(ctx: Context, case: ConvCase) -> None:
    float32_only(case.x)
    out, _ = ctx.given(lambda: forward(ctx, case))
    expected = ctx.oracle.conv_forward(case.x, case.w, case.b, case.stride, case.pad)
    ctx.expect_dtype("conv_forward's out", out, expected, case)


def student_gradients(ctx: Context, case: ConvCase) -> tuple:
    """The student's (dx, dw, db) for this case, from the cache of their own forward; inputs where their forward
    fails are skipped (the forward's checks grade that)."""
    _, cache = ctx.given(lambda: forward(ctx, case))
    result = ctx.call("conv_backward", case.dout, cache)
    return ctx.unpack("conv_backward", result, ("dx", "dw", "db"))


def expect_gradient(ctx: Context, case: ConvCase, index: int) -> None:
    """Compare one of conv_backward's gradients with autograd's; a failure carries the error table of all three."""
    student = student_gradients(ctx, case)
    expected = ctx.oracle.conv_gradients(case.x, case.w, case.b, case.stride, case.pad, case.dout)
    name = ("dx", "dw", "db")[index]
    try:
        ctx.expect_array(f"conv_backward's {name}", student[index], expected[index], case)
    except CheckFailed as failure:
        failure.evidence.append(gradient_errors(ctx, case, student, expected))
        raise


def gradient_errors(ctx: Context, case: ConvCase, student: tuple, autograd: tuple) -> GradientErrors:
    """For dx, dw and db: the largest error against autograd and against central differences (float64)."""
    numeric = numeric_gradients(ctx, case) if case.x.size + case.w.size <= NUMERIC_LIMIT else (None,) * 3
    rows = []
    for name, mine, exact, estimate in zip(("dx", "dw", "db"), student, autograd, numeric):
        fits = isinstance(mine, np.ndarray) and mine.shape == exact.shape and mine.size > 0
        rows.append(GradientError(name, float(np.abs(mine - exact).max()) if fits else "wrong shape",
                                  float(np.abs(mine - estimate).max()) if fits and estimate is not None else "n/a"))
    return GradientErrors(tuple(rows))


NUMERIC_LIMIT = 400


def numeric_gradients(ctx: Context, case: ConvCase, step: float = 1e-6) -> tuple[np.ndarray, ...]:
    """Central differences of sum(conv_forward(x, w, b) * dout) in float64: a witness independent of autograd."""
    inputs = [a.astype(np.float64) for a in (case.x, case.w, case.b)]
    dout = case.dout.astype(np.float64)

    def loss() -> float:
        return float((ctx.oracle.conv_forward(*inputs, case.stride, case.pad) * dout).sum())

    return tuple(central_differences(loss, array, step) for array in inputs)


@suite.check("conv_backward returns dx equal to PyTorch autograd's, for any stride and padding", points=2,
             functions=["conv_backward"], cases=CASES, examples=BACKWARD_EXAMPLES)
def backward_dx(ctx: Context, case: ConvCase) -> None:
    expect_gradient(ctx, case, 0)


@suite.check("conv_backward returns dw equal to PyTorch autograd's, summed over the whole batch", points=2,
             functions=["conv_backward"], cases=CASES, examples=BACKWARD_EXAMPLES)
def backward_dw(ctx: Context, case: ConvCase) -> None:
    expect_gradient(ctx, case, 1)


@suite.check("conv_backward returns db of shape (F,): dout summed over N, H' and W'", points=1,
             functions=["conv_backward"], cases=CASES, examples=BACKWARD_EXAMPLES)
def backward_db(ctx: Context, case: ConvCase) -> None:
    expect_gradient(ctx, case, 2)


@suite.check("conv_backward keeps the input's dtype: dx, dw and db are float32 for float32 inputs", points=0.5,
             functions=["conv_backward"], cases=CASES)
def backward_dtype(ctx: Context, case: ConvCase) -> None:
    float32_only(case.x)
    student = ctx.given(lambda: student_gradients(ctx, case))
    expected = ctx.oracle.conv_gradients(case.x, case.w, case.b, case.stride, case.pad, case.dout)
    graded = 0
    for name, gradient, exact in zip(("dx", "dw", "db"), student, expected):
        try:
            ctx.expect_dtype(f"conv_backward's {name}", gradient, exact, case)
            graded += 1
        except Skipped:  # this gradient's values are wrong here: its value check charges that, not this one
            continue
    if not graded:
        raise Skipped


# Classic mistakes: when a check fails, the grader names the first one whose output the student's matches.

def _one_sided(x: np.ndarray, pad: int, before: bool = True) -> np.ndarray:
    """All 2*pad zeros on one side of H and W instead of pad on each: before the image (top and left) or after it
    (bottom and right: x copied into the corner of a zero array, ``x_pad[:, :, :H, :W] = x``)."""
    sides = (2 * pad, 0) if before else (0, 2 * pad)
    return np.pad(x, ((0, 0), (0, 0), sides, sides))


def _stride_one_gradients(oracle, x, w, b, stride, pad, dout):
    """What a backward pass that ignores the stride computes: windows at i, j instead of i*stride, j*stride."""
    n, f, h_out, w_out = dout.shape
    full = (n, f, x.shape[2] + 2 * pad - w.shape[2] + 1, x.shape[3] + 2 * pad - w.shape[3] + 1)
    spread = np.zeros(full, dtype=dout.dtype)
    spread[:, :, :h_out, :w_out] = dout
    return oracle.conv_gradients(x, w, b, 1, pad, spread)


def _dx_assigned(oracle, x, w, b, stride, pad, dout):
    """The gradients when dx is written with ``=`` instead of ``+=``, window by window in output order (summed over
    the filters): where windows overlap (stride < kernel), a later window overwrites an earlier one's share."""
    dx_pad = np.zeros(oracle.zero_pad(x, pad).shape, dtype=x.dtype)
    _, _, hh, ww = w.shape
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + hh), slice(j * stride, j * stride + ww)
            dx_pad[:, :, rows, cols] = np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    height, width = x.shape[2:]
    return _replace(oracle.conv_gradients(x, w, b, stride, pad, dout), 0,
                    dx_pad[:, :, pad:pad + height, pad:pad + width])


def _stride_one_forward(oracle, x, w, b, stride, pad, crop: bool = True):
    """What a forward pass that ignores the stride computes: the stride-1 convolution, cut to the output's true size
    when the code sizes the output with the stride (``crop``) but moves its windows by 1."""
    out = oracle.conv_forward(x, w, b, 1, pad)
    _, _, rows, cols = conv_output_shape(x, w, stride, pad)
    return np.ascontiguousarray(out[:, :, :rows, :cols]) if crop else out


def _square_only(oracle, x, w, b, stride, pad):
    """What code that uses one kernel size for both sides does: right for a square kernel, and for the others numpy's
    broadcasting error (a window of HH x HH times a kernel of HH x WW)."""
    _, c, hh, ww = w.shape
    if hh != ww:
        raise ValueError(f"operands could not be broadcast together with shapes ({c},{hh},{hh}) ({c},{hh},{ww})")
    return oracle.conv_forward(x, w, b, stride, pad)


def square_kernels(case: ConvCase) -> list[ConvCase]:
    """The twins of a case with a non-square kernel: the same sizes, but a square kernel of each of its sides (the
    input grown where that kernel would not fit), all values random. Code that confuses HH and WW is right on them."""
    (n, c, height, width), (f, _, hh, ww) = case.x.shape, case.w.shape
    if hh == ww:
        return []
    twins = []
    for side in (hh, ww):
        x = np.zeros((n, c, max(height, side - 2 * case.pad), max(width, side - 2 * case.pad)), case.x.dtype)
        w = np.zeros((f, c, side, side), case.w.dtype)
        dout = np.zeros(conv_output_shape(x, w, case.stride, case.pad), case.dout.dtype)
        twins.append(with_random_values(ConvCase(x, w, case.b, case.stride, case.pad, dout), side))
    return twins


def _replace(gradients: tuple, index: int, value: np.ndarray) -> tuple:
    return tuple(value if i == index else g for i, g in enumerate(gradients))


def _rounded_size(oracle, n: int, f: int, pad: int, stride: int) -> int:
    """What ``1 + round((n + 2*pad - f) / stride)`` gives, after the same ValueError for a kernel that does not fit."""
    oracle.conv_output_size(n, f, pad, stride)
    return 1 + round((n + 2 * pad - f) / stride)


def _cropped(oracle, x, w, b, stride, pad, dout, crop: slice | None = None) -> tuple:
    """The gradients when dx is cut out of the padded input's gradient with ``crop`` on H and W (by default
    ``pad:-pad``, which is empty when pad is 0)."""
    dx_pad = oracle.conv_gradients(oracle.zero_pad(x, pad), w, b, stride, 0, dout)[0]
    crop = crop or slice(pad, -pad)
    return _replace(oracle.conv_gradients(x, w, b, stride, pad, dout), 0, dx_pad[:, :, crop, crop])


suite.mistake(
    "flipped kernel", "Your output equals a true convolution, with the kernel flipped. In deep learning, "
    "'convolution' means cross-correlation: slide the kernel as it is.", ["conv_forward"],
    conv_forward=lambda o, x, w, b, s, p: o.conv_forward(x, np.ascontiguousarray(w[:, :, ::-1, ::-1]), b, s, p))
suite.mistake(
    "missing bias", "Your output equals the convolution without the bias: add b[f] to every output of filter f.",
    ["conv_forward"], conv_forward=lambda o, x, w, b, s, p: o.conv_forward(x, w, np.zeros_like(b), s, p))
suite.mistake(
    "padding on one side", "Your output matches padding all 2*pad zeros on the top and left: pad pad zeros on "
    "each side (np.pad with ((0, 0), (0, 0), (pad, pad), (pad, pad))).", ["zero_pad", "conv_forward"],
    zero_pad=lambda o, x, p: _one_sided(x, p),
    conv_forward=lambda o, x, w, b, s, p: o.conv_forward(_one_sided(x, p), w, b, s, 0))
suite.mistake(
    "padding after the image only", "Your output matches all 2*pad zeros after the image (bottom and right), as "
    "when x is copied into the corner of a zero array, x_pad[:, :, :H, :W] = x: copy it into the middle, "
    "x_pad[:, :, pad:pad + H, pad:pad + W] = x, or use np.pad with ((0, 0), (0, 0), (pad, pad), (pad, pad)).",
    ["zero_pad", "conv_forward"],
    zero_pad=lambda o, x, p: _one_sided(x, p, before=False),
    conv_forward=lambda o, x, w, b, s, p: o.conv_forward(_one_sided(x, p, before=False), w, b, s, 0))
suite.mistake(
    "ceil instead of floor", "Your size rounds up: a kernel position that would hang over the edge does not count, "
    "so use floor division: 1 + (n + 2*pad - f) // stride.", ["conv_output_size"],
    conv_output_size=lambda o, n, f, pad=0, stride=1: 1 + -(-(n + 2 * pad - f) // stride))
suite.mistake(
    "NHWC output", "Your output is laid out (N, H', W', F): return (N, F, H', W'), channels first, as PyTorch does.",
    ["conv_forward"], conv_forward=lambda o, x, w, b, s, p: o.conv_forward(x, w, b, s, p).transpose(0, 2, 3, 1))
suite.mistake(
    "db summed over the batch only", "Your db equals dout.sum(axis=0): db sums dout over the batch and both "
    "spatial axes, dout.sum(axis=(0, 2, 3)), giving shape (F,).", ["conv_backward"],
    conv_gradients=lambda o, x, w, b, s, p, d: _replace(o.conv_gradients(x, w, b, s, p, d), 2, d.sum(axis=0)))
suite.mistake(
    "db summed over space only", "Your db equals dout.sum(axis=(2, 3)): sum over the batch too, "
    "dout.sum(axis=(0, 2, 3)), giving shape (F,).", ["conv_backward"],
    conv_gradients=lambda o, x, w, b, s, p, d: _replace(o.conv_gradients(x, w, b, s, p, d), 2, d.sum(axis=(2, 3))))
suite.mistake(
    "backward ignores the stride", "Your gradients match a backward pass with stride 1: output (i, j) came from "
    "the window at (i*stride, j*stride), so its gradient goes back there.", ["conv_backward"],
    conv_gradients=lambda o, x, w, b, s, p, d: _stride_one_gradients(o, x, w, b, s, p, d))
suite.mistake(
    "output size rounded", "Your size rounds to the nearest integer (round()): a kernel position that would hang "
    "over the edge does not count, so round down with floor division: 1 + (n + 2*pad - f) // stride.",
    ["conv_output_size"],
    conv_output_size=lambda o, n, f, pad=0, stride=1: _rounded_size(o, n, f, pad, stride))
suite.mistake(
    "dx cropped with [pad:-pad]", "Your dx is cut out of the padded gradient with dx_pad[:, :, pad:-pad, pad:-pad], "
    "which is empty when pad is 0 (-0 is 0, so the slice is 0:0): use dx_pad[:, :, pad:pad + H, pad:pad + W].",
    ["conv_backward"], conv_gradients=lambda o, x, w, b, s, p, d: _cropped(o, x, w, b, s, p, d))
suite.mistake(
    "dx cropped with [1:-1]", "Your dx is cut out of the padded gradient with [1:-1], which is right only when pad "
    "is 1: remove pad rows and columns on each side, dx_pad[:, :, pad:pad + H, pad:pad + W].", ["conv_backward"],
    conv_gradients=lambda o, x, w, b, s, p, d: _cropped(o, x, w, b, s, p, d, slice(1, -1)))
suite.mistake(
    "H and W swapped", "Your output is transposed: out[n, f, i, j] must hold the window at row i*stride and column "
    "j*stride, in an array of shape (N, F, H', W'); your code swaps the height and width axes.", ["conv_forward"],
    conv_forward=lambda o, x, w, b, s, p: transposed(o.conv_forward(x, w, b, s, p)))
suite.mistake(
    "int() of an array", INT_OF_ARRAY_SENTENCE, suite.functions, raised=INT_OF_ARRAY,
    conv_output_size=lambda o, n, f, pad=0, stride=1: int_of_array(o.conv_output_size(n, f, pad, stride)))
suite.mistake(
    "forward ignores the stride", "Your output matches windows that move by 1 whatever the stride "
    "(x[..., i:i + HH, j:j + WW]): output (i, j) covers the window that starts at row i*stride and column j*stride.",
    ["conv_forward"], conv_forward=lambda o, x, w, b, s, p: _stride_one_forward(o, x, w, b, s, p))
suite.mistake(
    "output size ignores the stride", "Your output is the stride-1 convolution: with stride s it has "
    "1 + (H + 2*pad - HH) // s rows and 1 + (W + 2*pad - WW) // s columns, and output (i, j) covers the window that "
    "starts at row i*stride and column j*stride.", ["conv_forward"],
    conv_forward=lambda o, x, w, b, s, p: _stride_one_forward(o, x, w, b, s, p, crop=False))
suite.mistake(
    "dx assigned, not added", "Your dx keeps only the last window's contribution where windows overlap "
    "(stride < kernel size): accumulate with dx_pad[...] += w[f] * dout[n, f, i, j], not =, so that an input inside "
    "several windows (and under several filters) gets the sum of their gradients.", ["conv_backward"],
    conv_gradients=_dx_assigned)
suite.mistake(
    "dw from the first image only", "Your dw only counts the first image: dw sums the contributions of every "
    "image in the batch.", ["conv_backward"],
    conv_gradients=lambda o, x, w, b, s, p, d: _replace(o.conv_gradients(x, w, b, s, p, d), 1,
                                                         o.conv_gradients(x[:1], w, b, s, p, d[:1])[1]))

suite.mistake(
    "square kernel assumed", "Your code works for square kernels but fails for this one (HH != WW): it uses one "
    "kernel size for both sides. Take both from the weights, F, C, HH, WW = w.shape, and use HH for the rows and WW "
    "for the columns, in the output size and in every window slice.", ["conv_forward", "conv_backward"],
    twins=square_kernels, conv_forward=_square_only)


def as_student(oracle: Any) -> dict[str, Any]:
    """The student API computed by an oracle: how a mistake of the catalogue behaves as a submission."""

    def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple:
        return oracle.conv_forward(x, w, b, conv_param["stride"], conv_param["pad"]), (x, w, b, conv_param)

    def conv_backward(dout: np.ndarray, cache: tuple) -> tuple:
        x, w, b, conv_param = cache
        return tuple(oracle.conv_gradients(x, w, b, conv_param["stride"], conv_param["pad"], dout))

    return {"conv_output_size": oracle.conv_output_size, "zero_pad": oracle.zero_pad, "conv_forward": conv_forward,
            "conv_backward": conv_backward}


def _oracles_agree(reference: Any, pytorch: Any, case: ConvCase) -> None:
    args = (case.x, case.w, case.b, case.stride, case.pad)
    same_array("conv_forward", reference.conv_forward(*args), pytorch.conv_forward(*args))
    same_array("zero_pad", reference.zero_pad(case.x, case.pad), pytorch.zero_pad(case.x, case.pad))
    n, f = case.x.shape[2], case.w.shape[2]
    same_value("conv_output_size", reference.conv_output_size(n, f, case.pad, case.stride),
               pytorch.conv_output_size(n, f, case.pad, case.stride))


suite.agreements.append(Agreement("conv_forward, zero_pad, conv_output_size", conv_cases(), _oracles_agree))
