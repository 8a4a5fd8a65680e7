"""The reference `pool` solution equals PyTorch (forward, autograd, ties included) and central differences, on Hypothesis-drawn cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.oracles.numeric import central_differences
from reference.pool import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward

SETTINGS = dict(derandomize=True, database=None, deadline=None)
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}
VALUES = ["normal", "distinct", "ties"]


@st.composite
def pool_cases(draw, max_window=4, max_extra=7, values=VALUES):
    """A valid pooling by construction: window sizes, any stride (overlapping, exact, or skipping), inputs at least as large as the window."""
    ph = draw(st.integers(1, max_window))
    pw = draw(st.integers(1, max_window))
    stride = draw(st.integers(1, 5))
    H = draw(st.integers(ph, ph + max_extra))
    W = draw(st.integers(pw, pw + max_extra))
    N = draw(st.integers(1, 3))
    C = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(values))
    seed = draw(st.integers(0, 2**32 - 1))
    return dict(N=N, C=C, H=H, W=W, ph=ph, pw=pw, stride=stride, values=kind, seed=seed)


# Fixed cases: 1x1 windows, window as large as the input, stride larger than the window,
# overlapping windows with ties, a stride that does not divide, batch and channels of 1.
EXAMPLES = [
    dict(N=1, C=1, H=3, W=4, ph=1, pw=1, stride=1, values="normal", seed=1),
    dict(N=2, C=2, H=3, W=4, ph=3, pw=4, stride=1, values="ties", seed=2),
    dict(N=1, C=2, H=9, W=9, ph=2, pw=2, stride=4, values="distinct", seed=3),
    dict(N=2, C=1, H=6, W=7, ph=3, pw=2, stride=1, values="ties", seed=4),
    dict(N=1, C=1, H=7, W=7, ph=3, pw=3, stride=3, values="normal", seed=5),
    dict(N=3, C=2, H=4, W=4, ph=2, pw=2, stride=2, values="ties", seed=6),
]


def with_examples(test):
    for case in EXAMPLES:
        test = example(case=case)(test)
    return test


def make_arrays(case, dtype):
    """x and an upstream gradient dout for a case: 'distinct' values are tie-free (spaced 1/8 apart), 'ties' are small integers."""
    rng = np.random.default_rng(case["seed"])
    shape = (case["N"], case["C"], case["H"], case["W"])
    if case["values"] == "distinct":
        x = (rng.permutation(int(np.prod(shape))).reshape(shape) - 10) / 8
    elif case["values"] == "ties":
        x = rng.integers(-2, 3, size=shape).astype(float)
    else:
        x = rng.standard_normal(shape)
    H_out = 1 + (case["H"] - case["ph"]) // case["stride"]
    W_out = 1 + (case["W"] - case["pw"]) // case["stride"]
    dout = rng.standard_normal((case["N"], case["C"], H_out, W_out))
    return x.astype(dtype), dout.astype(dtype)


def param(case):
    return {"pool_height": case["ph"], "pool_width": case["pw"], "stride": case["stride"]}


def torch_pool(kind, x, case):
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return pool(x, (case["ph"], case["pw"]), stride=case["stride"])


FUNCTIONS = {"max": (max_pool_forward, max_pool_backward), "avg": (avg_pool_forward, avg_pool_backward)}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=150, **SETTINGS)
@with_examples
@given(case=pool_cases())
def test_pool_forward_and_backward_equal_torch(kind, dtype, case):
    forward, backward = FUNCTIONS[kind]
    x, dout = make_arrays(case, dtype)
    out, cache = forward(x, param(case))
    dx = backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    expected = torch_pool(kind, xt, case)
    expected.backward(torch.from_numpy(dout))
    assert out.shape == expected.shape and dx.shape == x.shape
    assert out.dtype == dtype and dx.dtype == dtype
    np.testing.assert_allclose(out, expected.detach().numpy(), err_msg="forward", **TOLERANCE[dtype])
    np.testing.assert_allclose(dx, xt.grad.numpy(), err_msg="backward", **TOLERANCE[dtype])


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=40, **SETTINGS)
@given(case=pool_cases(max_window=3, max_extra=4, values=["distinct"]))
def test_pool_backward_equals_central_differences(kind, case):
    """Tie-free float64 inputs, values 1/8 apart, so a step of 1e-6 never changes which value is the maximum."""
    forward, backward = FUNCTIONS[kind]
    x, dout = make_arrays(case, np.float64)
    _, cache = forward(x, param(case))
    dx = backward(dout, cache)

    def loss():
        return float(np.sum(forward(x, param(case))[0] * dout))

    np.testing.assert_allclose(dx, central_differences(loss, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_ties_go_to_first_maximum_like_torch(dtype):
    """All-equal windows, overlapping: each window's gradient goes to its first cell in row-major order, and PyTorch agrees."""
    x = np.zeros((1, 1, 3, 3), dtype=dtype)
    x[0, 0, 1:, 1:] = 5  # the window at (1, 1) is all fives; the others tie between 0s and 5s
    _, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    dx = max_pool_backward(np.array([[[[1, 10], [100, 1000]]]], dtype=dtype), cache)
    expected = np.zeros((3, 3))
    expected[1, 1] = 1 + 10 + 100 + 1000  # every window's first maximum is the centre
    np.testing.assert_array_equal(dx[0, 0], expected)
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2, stride=1).backward(torch.tensor([[[[1, 10], [100, 1000]]]], dtype=xt.dtype))
    np.testing.assert_array_equal(dx, xt.grad.numpy())

    x = np.full((1, 1, 2, 3), 3.0, dtype=dtype)
    _, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 3, "stride": 1})
    np.testing.assert_array_equal(max_pool_backward(np.ones((1, 1, 1, 1), dtype), cache)[0, 0], [[1, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pool_keeps_dtype_and_does_not_modify_inputs(kind, dtype):
    forward, backward = FUNCTIONS[kind]
    case = dict(N=2, C=3, H=7, W=6, ph=3, pw=2, stride=2, values="ties", seed=8)
    x, dout = make_arrays(case, dtype)
    x_copy, dout_copy = x.copy(), dout.copy()
    out, cache = forward(x, param(case))
    dx = backward(dout, cache)
    assert out.dtype == dtype and dx.dtype == dtype
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)
    out[...] = 0  # the output is not a view of the input
    np.testing.assert_array_equal(x, x_copy)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    "pool_param",
    [
        {"pool_height": 5, "pool_width": 2, "stride": 1},
        {"pool_height": 2, "pool_width": 5, "stride": 1},
        {"pool_height": 2, "pool_width": 2, "stride": 0},
        {"pool_height": 0, "pool_width": 2, "stride": 1},
    ],
)
def test_pool_rejects_windows_that_do_not_fit(kind, pool_param):
    forward, _ = FUNCTIONS[kind]
    with pytest.raises(ValueError):
        forward(np.zeros((1, 1, 4, 4)), pool_param)
