"""The `pool` assignment: max and average pooling, forward and backward.

Pooling has no parameters and no padding; windows of pool_height x
pool_width move by stride and may overlap. Max-pool inputs are drawn without
ties, except in the one check that asks where a tie's gradient goes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader.suites.framework import Context, Suite, numpy_only
from grader.suites.strategies import PoolCase, pool_case, pool_cases

suite = Suite(
    "pool",
    functions=("max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"),
    policy=numpy_only("pool"),
)

LECTURE_EXAMPLE = pool_case([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], size=2, stride=2)
EDGE_CASES = (
    pool_case(np.arange(16).reshape(4, 4)[::-1], size=3, stride=1),
    pool_case(np.arange(25).reshape(5, 5) * 7 % 25, size=2, stride=3),
    pool_case(np.arange(9).reshape(3, 3), size=1, stride=2),
)
TIED_WINDOWS = (
    pool_case([[1, 3, 3, 0], [2, 3, 1, 1], [0, 0, 2, 2], [0, 0, 2, 2]], size=2, stride=2),
    pool_case([[5, 5, 5], [5, 5, 5], [5, 5, 5]], size=2, stride=1),
)
FORWARD_INPUTS = ("x",)


def forward(ctx: Context, kind: str, case: PoolCase) -> tuple[np.ndarray, object]:
    """Call the student's ``<kind>_pool_forward``, check it returned (out, cache), keep the cache in the child."""
    function = f"{kind}_pool_forward"
    result = ctx.call(function, case.x, case.pool_param, keep=(1,))
    return ctx.unpack(function, result, ("out", "cache"))


def backward(ctx: Context, kind: str, case: PoolCase) -> np.ndarray:
    _, cache = forward(ctx, kind, case)
    return ctx.call(f"{kind}_pool_backward", case.dout, cache)


@suite.check("max_pool_forward reproduces the lecture's example: [[6, 8], [3, 4]]", points=1,
             functions=["max_pool_forward"], cases=st.just(LECTURE_EXAMPLE), shows=FORWARD_INPUTS)
def max_forward_lecture(ctx: Context, case: PoolCase) -> None:
    out, _ = forward(ctx, "max", case)
    ctx.expect_array("max_pool_forward's out", out, ctx.oracle.max_pool_forward(case.x, 2, 2, 2), case)


@suite.check("max_pool_forward takes the maximum of each pool_height x pool_width window, moving by stride",
             points=2, functions=["max_pool_forward"], cases=pool_cases(distinct=True), examples=EDGE_CASES,
             shows=FORWARD_INPUTS)
def max_forward_values(ctx: Context, case: PoolCase) -> None:
    out, _ = forward(ctx, "max", case)
    expected = ctx.oracle.max_pool_forward(case.x, case.pool_height, case.pool_width, case.stride)
    ctx.expect_array("max_pool_forward's out", out, expected, case)


@suite.check("max_pool_backward sends each gradient to its window's maximum, adding up where windows overlap",
             points=2, functions=["max_pool_backward"], cases=pool_cases(distinct=True), examples=EDGE_CASES)
def max_backward_values(ctx: Context, case: PoolCase) -> None:
    expected = ctx.oracle.max_pool_gradient(case.x, case.pool_height, case.pool_width, case.stride, case.dout)
    ctx.expect_array("max_pool_backward's dx", backward(ctx, "max", case), expected, case)


@suite.check("max_pool_backward sends a tied window's gradient to its first maximum only, as PyTorch does",
             points=1, functions=["max_pool_backward"], cases=st.sampled_from(TIED_WINDOWS))
def max_backward_ties(ctx: Context, case: PoolCase) -> None:
    max_backward_values(ctx, case)


@suite.check("avg_pool_forward averages each pool_height x pool_width window, moving by stride", points=2,
             functions=["avg_pool_forward"], cases=pool_cases(), examples=(LECTURE_EXAMPLE,) + EDGE_CASES,
             shows=FORWARD_INPUTS)
def avg_forward_values(ctx: Context, case: PoolCase) -> None:
    out, _ = forward(ctx, "avg", case)
    expected = ctx.oracle.avg_pool_forward(case.x, case.pool_height, case.pool_width, case.stride)
    ctx.expect_array("avg_pool_forward's out", out, expected, case)


@suite.check("avg_pool_backward spreads each gradient evenly (divided by the window size) over its window",
             points=2, functions=["avg_pool_backward"], cases=pool_cases(), examples=EDGE_CASES)
def avg_backward_values(ctx: Context, case: PoolCase) -> None:
    expected = ctx.oracle.avg_pool_gradient(case.x, case.pool_height, case.pool_width, case.stride, case.dout)
    ctx.expect_array("avg_pool_backward's dx", backward(ctx, "avg", case), expected, case)


# Classic mistakes: when a check fails, the grader names the first one whose output the student's matches.

def _to_every_maximum(oracle, x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray) -> np.ndarray:
    """The gradient a mask ``x == max`` gives: every tied maximum of a window receives the window's gradient."""
    out = oracle.max_pool_forward(x, ph, pw, stride)
    dx = np.zeros_like(x)
    rows, cols = stride * (out.shape[2] - 1) + 1, stride * (out.shape[3] - 1) + 1
    for i in range(ph):
        for j in range(pw):
            window = (slice(None), slice(None), slice(i, i + rows, stride), slice(j, j + cols, stride))
            dx[window] += (x[window] == out) * dout
    return dx


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
