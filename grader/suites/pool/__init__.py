"""The `pool` assignment: max and average pooling, forward and backward.

Pooling has no parameters and no padding; windows of pool_height x
pool_width move by stride and may overlap. Max-pool inputs are drawn without
ties, except in the one check that asks where a tie's gradient goes. Every
backward check meets overlapping windows, where gradients add up; a backward
is graded on the inputs where the student's own forward returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader.oracles.lazy_torch import torch  # for the mistakes' patches, imported when a diagnosis runs one
from grader.suites.agreement import Agreement, same_array
from grader.suites.framework import (INT_OF_ARRAY, INT_OF_ARRAY_SENTENCE, Context, Oracles, Suite, float32_only,
                                     int_of_array, numpy_only, transposed)
from grader.suites.pool.cases import PoolCase, pool_case, pool_cases, pool_output_shape
from grader.suites.pool.oracles import PoolReference, PoolTorch
from grader.suites.strategies import with_random_values


suite = Suite(
    "pool",
    functions=("max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"),
    policy=numpy_only("pool"),
    oracles=Oracles(pytorch=PoolTorch, reference=PoolReference),
)

LECTURE_EXAMPLE = pool_case([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], size=2, stride=2)
EDGE_CASES = (
    pool_case(np.arange(16).reshape(4, 4)[::-1], size=3, stride=1),
    pool_case(np.arange(25).reshape(5, 5) * 7 % 25, size=2, stride=3),
    pool_case(np.arange(9).reshape(3, 3), size=1, stride=2),
)
# Windows that overlap (stride < window), non-square, where a gradient written with = instead of += loses a part.
OVERLAPPING = (
    pool_case(np.arange(20).reshape(4, 5) * 7 % 20, size=3, width=2, stride=1),
    pool_case(np.arange(30).reshape(5, 6)[::-1] * 11 % 30, size=2, width=3, stride=1),
    pool_case(-(np.arange(36).reshape(6, 6) * 5 % 36) * 2.0**20, size=3, stride=2),
)


def tied_windows(seed: int) -> st.SearchStrategy[PoolCase]:
    """Windows with tied maxima (values among a few small integers; a constant image), drawn from the run's seed: a
    short list of cases, yet none known before the official grade."""
    rng = np.random.default_rng(seed)
    squares = rng.integers(0, 3, (4, 4))
    squares[0, :2] = squares[:2, :2].max()  # the first window ties for certain
    return st.sampled_from((pool_case(squares, size=2, stride=2),
                            pool_case(np.full((3, 3), rng.integers(1, 2**20) / 8), size=2, stride=1)))


FORWARD_INPUTS = ("x",)


def backward_cases(distinct: bool = False) -> st.SearchStrategy[PoolCase]:
    """Pooling cases of which about half have overlapping windows."""
    return st.one_of(pool_cases(distinct), pool_cases(distinct, overlapping=True))


# One stream of inputs per kind of pooling, for its forward, backward and dtype checks (see grader.families):
# each input is drawn once and the student's forward and backward run once on it. Max pooling's inputs are tie-free.
CASES = {"max": backward_cases(distinct=True), "avg": backward_cases()}


def forward(ctx: Context, kind: str, case: PoolCase) -> tuple[np.ndarray, object]:
    """Call the student's ``<kind>_pool_forward``, check it returned (out, cache), keep the cache in the child."""
    function = f"{kind}_pool_forward"
    result = ctx.call(function, case.x, case.pool_param, keep=(1,))
    return ctx.unpack(function, result, ("out", "cache"))


def backward(ctx: Context, kind: str, case: PoolCase) -> np.ndarray:
    """The student's dx from the cache of their own forward; inputs where that forward fails are skipped (the
    forward's checks grade it)."""
    _, cache = ctx.given(lambda: forward(ctx, kind, case))
    return ctx.call(f"{kind}_pool_backward", case.dout, cache)


def dtype_check(kind: str, step: str) -> None:
    """The small check that ``<kind>_pool_<step>`` keeps the input's dtype, graded where it returns."""
    function = f"{kind}_pool_{step}"

    def body(ctx: Context, case: PoolCase) -> None:
        float32_only(case.x)
        got = ctx.given(lambda: forward(ctx, kind, case)[0] if step == "forward" else backward(ctx, kind, case))
        window = (case.pool_height, case.pool_width, case.stride)
        expected = (getattr(ctx.oracle, f"{kind}_pool_forward")(case.x, *window) if step == "forward" else
                    getattr(ctx.oracle, f"{kind}_pool_gradient")(case.x, *window, case.dout))
        ctx.expect_dtype(f"{function}'s {'out' if step == 'forward' else 'dx'}", got, expected, case)

    body.__name__ = f"{kind}_{step}_dtype"
    suite.check(f"{function} keeps the input's dtype (float32 in, float32 out)", points=0.5, functions=[function],
                cases=CASES[kind])(body)


@suite.check("max_pool_forward reproduces the lecture's example: [[6, 8], [3, 4]]", points=1,
             functions=["max_pool_forward"], cases=st.just(LECTURE_EXAMPLE), shows=FORWARD_INPUTS)
def max_forward_lecture(ctx: Context, case: PoolCase) -> None:
    out, _ = forward(ctx, "max", case)
    ctx.expect_array("max_pool_forward's out", out, ctx.oracle.max_pool_forward(case.x, 2, 2, 2), case)


@suite.check("max_pool_forward takes the maximum of each pool_height x pool_width window, moving by stride",
             points=2, functions=["max_pool_forward"], cases=CASES["max"],
             examples=EDGE_CASES + OVERLAPPING, shows=FORWARD_INPUTS)
def max_forward_values(ctx: Context, case: PoolCase) -> None:
    out, _ = forward(ctx, "max", case)
    expected = ctx.oracle.max_pool_forward(case.x, case.pool_height, case.pool_width, case.stride)
    ctx.expect_array("max_pool_forward's out", out, expected, case)


@suite.check("max_pool_backward sends each gradient to its window's maximum, adding up where windows overlap",
             points=2, functions=["max_pool_backward"], cases=CASES["max"],
             examples=EDGE_CASES + OVERLAPPING)
def max_backward_values(ctx: Context, case: PoolCase) -> None:
    expected = ctx.oracle.max_pool_gradient(case.x, case.pool_height, case.pool_width, case.stride, case.dout)
    ctx.expect_array("max_pool_backward's dx", backward(ctx, "max", case), expected, case)


@suite.check("max_pool_backward sends a tied window's gradient to its first maximum only, as PyTorch does",
             points=1, functions=["max_pool_backward"], cases=tied_windows)
def max_backward_ties(ctx: Context, case: PoolCase) -> None:
    max_backward_values(ctx, case)


@suite.check("avg_pool_forward averages each pool_height x pool_width window, moving by stride", points=2,
             functions=["avg_pool_forward"], cases=CASES["avg"], examples=(LECTURE_EXAMPLE,) + EDGE_CASES,
             shows=FORWARD_INPUTS)
def avg_forward_values(ctx: Context, case: PoolCase) -> None:
    out, _ = forward(ctx, "avg", case)
    expected = ctx.oracle.avg_pool_forward(case.x, case.pool_height, case.pool_width, case.stride)
    ctx.expect_array("avg_pool_forward's out", out, expected, case)


@suite.check("avg_pool_backward spreads each gradient evenly (divided by the window size) over its window",
             points=2, functions=["avg_pool_backward"], cases=CASES["avg"], examples=EDGE_CASES + OVERLAPPING)
def avg_backward_values(ctx: Context, case: PoolCase) -> None:
    expected = ctx.oracle.avg_pool_gradient(case.x, case.pool_height, case.pool_width, case.stride, case.dout)
    ctx.expect_array("avg_pool_backward's dx", backward(ctx, "avg", case), expected, case)


dtype_check("max", "forward")
dtype_check("max", "backward")
dtype_check("avg", "forward")
dtype_check("avg", "backward")


# Classic mistakes: when a check fails, the grader names the first one whose output the student's matches.

def _to_every_maximum(oracle, x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray) -> np.ndarray:
    """The gradient a mask ``x == max`` gives: every tied maximum of a window receives the window's gradient."""
    out, t, grad = (torch.from_numpy(a) for a in (oracle.max_pool_forward(x, ph, pw, stride), x, dout))
    dx = torch.zeros_like(t)
    rows, cols = stride * (out.shape[2] - 1) + 1, stride * (out.shape[3] - 1) + 1
    for i in range(ph):
        for j in range(pw):
            window = (slice(None), slice(None), slice(i, i + rows, stride), slice(j, j + cols, stride))
            dx[window] += (t[window] == out) * grad
    return dx.numpy()


def _windows(x: np.ndarray, ph: int, pw: int, stride: int):
    """Each window's (i, j) and its (rows, columns) slices, in the order a loop over the output visits them."""
    _, _, h_out, w_out = pool_output_shape(x, ph, pw, stride)
    for i in range(h_out):
        for j in range(w_out):
            yield i, j, (slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw))


def _assigned(x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray, whole: str = "") -> np.ndarray:
    """The gradient of a backward that writes ``dx[...] = ...`` instead of adding: at the maximum only (``whole``
    empty), or over the whole window as a max mask (``"max"``) or an average (``"avg"``); where windows overlap,
    the later window overwrites the earlier one. In PyTorch, as every mistake is a patch of the PyTorch oracle."""
    t, grads = torch.from_numpy(x), torch.from_numpy(dout)
    dx = torch.zeros_like(t)
    n, c = torch.meshgrid(torch.arange(x.shape[0]), torch.arange(x.shape[1]), indexing="ij")
    for i, j, (rows, cols) in _windows(x, ph, pw, stride):
        window, grad = t[:, :, rows, cols], grads[:, :, i, j, None, None]
        if whole == "avg":
            dx[:, :, rows, cols] = grad / (ph * pw)
        elif whole == "max":
            dx[:, :, rows, cols] = (window == window.amax(dim=(2, 3), keepdim=True)) * grad
        else:
            first = window.reshape(*window.shape[:2], -1).argmax(dim=2)  # the first maximum, as np.argmax
            dx[n, c, rows.start + first // pw, cols.start + first % pw] = grad[..., 0, 0]
    return dx.numpy()


def _square_window(pool, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
    """What code that uses pool_height for both sides computes: ph x ph windows and W' = 1 + (W - ph) // stride
    (numpy's error for a negative size when ph > W)."""
    if ph > x.shape[3]:
        raise ValueError("negative dimensions are not allowed")
    return pool(x, ph, ph, stride)


def square_windows(case: PoolCase) -> list[PoolCase]:
    """The twins of a case with a non-square window: the same sizes, but a square window of each of its sides (the
    input grown where that window would not fit), all values random (distinct). Code that confuses pool_height and
    pool_width is right on them."""
    (n, c, height, width), (ph, pw) = case.x.shape, (case.pool_height, case.pool_width)
    if ph == pw:
        return []
    twins = []
    for side in (ph, pw):
        x = np.zeros((n, c, max(height, side), max(width, side)), case.x.dtype)
        dout = np.zeros(pool_output_shape(x, side, side, case.stride), case.dout.dtype)
        twins.append(with_random_values(PoolCase(x, side, side, case.stride, dout), side, distinct=True))
    return twins


def _square(out: np.ndarray) -> np.ndarray:
    """What ``out.reshape(N, C, H', H')`` does: right for square outputs, ValueError for the rest."""
    return out.reshape(*out.shape[:3], out.shape[2])


suite.mistake(
    "average backward not divided", "Your dx is the window size times too large: each input of a window gets "
    "dout / (pool_height * pool_width), since the average divides by the window size.", ["avg_pool_backward"],
    avg_pool_gradient=lambda o, x, ph, pw, s, d: o.avg_pool_gradient(x, ph, pw, s, d) * (ph * pw))
suite.mistake(
    "max gradient to every cell", "Your dx sends each gradient to every cell of its window: only the maximum "
    "of the window affected the output, so only it gets the gradient.", ["max_pool_backward"],
    max_pool_gradient=lambda o, x, ph, pw, s, d: o.avg_pool_gradient(x, ph, pw, s, d) * (ph * pw))
suite.mistake(
    "stride taken as the pool size", "Your windows move by pool_height instead of stride: use "
    "pool_param['stride'] for the step.", ["max_pool_forward", "avg_pool_forward"],
    max_pool_forward=lambda o, x, ph, pw, s: o.max_pool_forward(x, ph, pw, ph),
    avg_pool_forward=lambda o, x, ph, pw, s: o.avg_pool_forward(x, ph, pw, ph))
suite.mistake(
    "ties sent to every maximum", "Your dx sends a tied window's gradient to every maximum (a mask x == max): "
    "send it to the first maximum only, as np.argmax picks it.", ["max_pool_backward"],
    max_pool_gradient=_to_every_maximum)
suite.mistake(
    "max gradient assigned, not added", "Your dx keeps only the last window's gradient where windows overlap "
    "(stride < window): write dx[...] += ..., not dx[...] = ..., so that an input that is the maximum of several "
    "windows gets the sum of their gradients.", ["max_pool_backward"],
    max_pool_gradient=lambda o, x, ph, pw, s, d: _assigned(x, ph, pw, s, d))
suite.mistake(
    "max window assigned, not added", "Your dx assigns each window's mask * dout over the whole window, so where "
    "windows overlap (stride < window) a later window wipes out an earlier one's gradient: add into dx "
    "(dx[window] += mask * dout) instead.", ["max_pool_backward"],
    max_pool_gradient=lambda o, x, ph, pw, s, d: _assigned(x, ph, pw, s, d, "max"))
suite.mistake(
    "average window assigned, not added", "Your dx assigns dout / (pool_height * pool_width) to each window, so "
    "where windows overlap (stride < window) a later window replaces an earlier one's share: add into dx "
    "(dx[window] += ...) instead.", ["avg_pool_backward"],
    avg_pool_gradient=lambda o, x, ph, pw, s, d: _assigned(x, ph, pw, s, d, "avg"))
suite.mistake(
    "running max started at 0", "Your maximum is never below 0: it looks like a running maximum that starts at 0. "
    "Start from the window's first element, or -np.inf, or use np.max.", ["max_pool_forward"],
    max_pool_forward=lambda o, x, ph, pw, s: np.maximum(o.max_pool_forward(x, ph, pw, s), 0))
suite.mistake(
    "running max started at -100000", "Your maximum is never below -100000: a running maximum that starts at a "
    "finite number is wrong for windows below it. Start from the window's first element, or -np.inf, or use "
    "np.max.", ["max_pool_forward"],
    max_pool_forward=lambda o, x, ph, pw, s: np.maximum(o.max_pool_forward(x, ph, pw, s), -100000))
suite.mistake(
    "H and W swapped", "Your output is transposed: out[n, c, i, j] must hold the window at row i*stride and column "
    "j*stride, in an array of shape (N, C, H', W'); your code swaps the height and width axes.",
    ["max_pool_forward", "avg_pool_forward"],
    max_pool_forward=lambda o, x, ph, pw, s: transposed(o.max_pool_forward(x, ph, pw, s)),
    avg_pool_forward=lambda o, x, ph, pw, s: transposed(o.avg_pool_forward(x, ph, pw, s)))
suite.mistake(
    "square output assumed", "Your reshape assumes a square output (H' for both sides): compute the output width "
    "from W and pool_width, W' = 1 + (W - pool_width) // stride, and reshape to (N, C, H', W').",
    ["max_pool_forward", "avg_pool_forward"], raised=r"cannot reshape array of size \d+ into shape "
                                                     r"\(\d+, ?\d+, ?(\d+), ?\1\)",
    max_pool_forward=lambda o, x, ph, pw, s: _square(o.max_pool_forward(x, ph, pw, s)),
    avg_pool_forward=lambda o, x, ph, pw, s: _square(o.avg_pool_forward(x, ph, pw, s)))
suite.mistake(
    "int() of an array", INT_OF_ARRAY_SENTENCE, suite.functions, raised=INT_OF_ARRAY,
    max_pool_gradient=lambda o, x, ph, pw, s, d: o.max_pool_gradient(x, ph, pw, s, d) * int_of_array(1))
suite.mistake(
    "square window assumed", "Your code works for square windows but fails for this one (pool_height != "
    "pool_width): it uses one size for both sides. Use pool_height for the rows and pool_width for the columns, in "
    "the output size (W' = 1 + (W - pool_width) // stride) and in every window slice.", suite.functions,
    twins=square_windows,
    max_pool_forward=lambda o, x, ph, pw, s: _square_window(o.max_pool_forward, x, ph, pw, s),
    avg_pool_forward=lambda o, x, ph, pw, s: _square_window(o.avg_pool_forward, x, ph, pw, s))


def as_student(oracle: Any) -> dict[str, Any]:
    """The student API computed by an oracle: how a mistake of the catalogue behaves as a submission."""

    def window(pool_param: dict) -> tuple[int, int, int]:
        return pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]

    def forward(kind: str) -> Any:
        return lambda x, pool_param: (getattr(oracle, f"{kind}_pool_forward")(x, *window(pool_param)), (x, pool_param))

    def backward(kind: str) -> Any:
        return lambda dout, cache: getattr(oracle, f"{kind}_pool_gradient")(cache[0], *window(cache[1]), dout)

    return {f"{kind}_pool_{step}": (forward if step == "forward" else backward)(kind)
            for kind in ("max", "avg") for step in ("forward", "backward")}


def _oracles_agree(reference: Any, pytorch: Any, case: PoolCase) -> None:
    args = (case.x, case.pool_height, case.pool_width, case.stride)
    same_array("max_pool_forward", reference.max_pool_forward(*args), pytorch.max_pool_forward(*args))
    same_array("avg_pool_forward", reference.avg_pool_forward(*args), pytorch.avg_pool_forward(*args))


suite.agreements.append(Agreement("max_pool_forward, avg_pool_forward", pool_cases(distinct=True), _oracles_agree))
