"""The reference `conv` solution equals PyTorch (forward, autograd) and central differences, on Hypothesis-drawn cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.oracles.numeric import central_differences
from reference.conv import conv_backward, conv_forward, conv_output_size, zero_pad

SETTINGS = dict(derandomize=True, database=None, deadline=None)
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}


@st.composite
def conv_cases(draw, max_kernel=5, max_batch=3, max_channels=3, max_extra=6):
    """A valid convolution by construction: kernel sizes, padding up to kernel-1, any stride, inputs at least as large as the kernel minus padding."""
    HH = draw(st.integers(1, max_kernel))
    WW = draw(st.integers(1, max_kernel))
    pad = draw(st.integers(0, max(HH, WW) - 1))
    stride = draw(st.integers(1, 4))
    H = draw(st.integers(max(1, HH - 2 * pad), HH + max_extra))
    W = draw(st.integers(max(1, WW - 2 * pad), WW + max_extra))
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, max_channels))
    F_ = draw(st.integers(1, max_channels))
    seed = draw(st.integers(0, 2**32 - 1))
    return dict(N=N, C=C, H=H, W=W, F=F_, HH=HH, WW=WW, stride=stride, pad=pad, seed=seed)


# Fixed cases: 1x1 kernel, kernel as large as the padded input, stride larger than the
# kernel, a stride that does not divide, batch and channels of 1, padding of kernel-1.
EXAMPLES = [
    dict(N=1, C=1, H=4, W=5, F=1, HH=1, WW=1, stride=1, pad=0, seed=1),
    dict(N=2, C=3, H=3, W=3, F=2, HH=5, WW=5, stride=1, pad=1, seed=2),
    dict(N=1, C=2, H=9, W=8, F=3, HH=2, WW=2, stride=4, pad=0, seed=3),
    dict(N=2, C=1, H=7, W=7, F=2, HH=3, WW=3, stride=3, pad=0, seed=4),
    dict(N=1, C=1, H=5, W=6, F=1, HH=3, WW=4, stride=2, pad=2, seed=5),
    dict(N=3, C=2, H=1, W=1, F=2, HH=1, WW=1, stride=2, pad=0, seed=6),
]


def make_arrays(case, dtype):
    """x, w, b and an upstream gradient dout for a case, drawn from its seed."""
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"])).astype(dtype)
    w = rng.standard_normal((case["F"], case["C"], case["HH"], case["WW"])).astype(dtype)
    b = rng.standard_normal(case["F"]).astype(dtype)
    H_out = 1 + (case["H"] + 2 * case["pad"] - case["HH"]) // case["stride"]
    W_out = 1 + (case["W"] + 2 * case["pad"] - case["WW"]) // case["stride"]
    dout = rng.standard_normal((case["N"], case["F"], H_out, W_out)).astype(dtype)
    return x, w, b, dout


def param(case):
    return {"stride": case["stride"], "pad": case["pad"]}


def with_examples(test):
    for case in EXAMPLES:
        test = example(case=case)(test)
    return test


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=150, **SETTINGS)
@with_examples
@given(case=conv_cases())
def test_conv_forward_equals_torch(dtype, case):
    x, w, b, _ = make_arrays(case, dtype)
    out, _ = conv_forward(x, w, b, param(case))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                        stride=case["stride"], padding=case["pad"]).numpy()
    assert out.shape == expected.shape
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=150, **SETTINGS)
@with_examples
@given(case=conv_cases())
def test_conv_backward_equals_autograd(dtype, case):
    x, w, b, dout = make_arrays(case, dtype)
    out, cache = conv_forward(x, w, b, param(case))
    dx, dw, db = conv_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    F.conv2d(xt, wt, bt, stride=case["stride"], padding=case["pad"]).backward(torch.from_numpy(dout))
    for name, got, expected in [("dx", dx, xt.grad), ("dw", dw, wt.grad), ("db", db, bt.grad)]:
        assert got.shape == expected.shape, name
        assert got.dtype == dtype, name
        np.testing.assert_allclose(got, expected.numpy(), err_msg=name, **TOLERANCE[dtype])


@settings(max_examples=40, **SETTINGS)
@with_examples
@given(case=conv_cases(max_kernel=3, max_batch=2, max_channels=2, max_extra=3))
def test_conv_backward_equals_central_differences(case):
    x, w, b, dout = make_arrays(case, np.float64)
    out, cache = conv_forward(x, w, b, param(case))
    dx, dw, db = conv_backward(dout, cache)

    def loss():
        return float(np.sum(conv_forward(x, w, b, param(case))[0] * dout))

    for name, analytic, variable in [("dx", dx, x), ("dw", dw, w), ("db", db, b)]:
        np.testing.assert_allclose(analytic, central_differences(loss, variable), rtol=1e-6, atol=1e-7, err_msg=name)


@settings(max_examples=30, **SETTINGS)
@given(case=conv_cases())
def test_dx_is_full_convolution_with_flipped_kernel(case):
    """The notebook's claim: at stride 1, dx is dout zero-padded by HH-1, WW-1, cross-correlated with the flipped, transposed kernel, then cropped."""
    case = dict(case, stride=1)
    x, w, b, dout = make_arrays(case, np.float64)
    _, cache = conv_forward(x, w, b, param(case))
    dx, _, _ = conv_backward(dout, cache)
    HH, WW, pad = case["HH"], case["WW"], case["pad"]
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    dout_full = np.pad(dout, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))
    dxp, _ = conv_forward(dout_full, flipped, np.zeros(case["C"]), {"stride": 1, "pad": 0})
    np.testing.assert_allclose(dx, dxp[:, :, pad:pad + case["H"], pad:pad + case["W"]], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_keeps_dtype_and_does_not_modify_inputs(dtype):
    case = dict(N=2, C=3, H=6, W=5, F=4, HH=3, WW=2, stride=2, pad=1, seed=7)
    x, w, b, dout = make_arrays(case, dtype)
    copies = [a.copy() for a in (x, w, b, dout)]
    out, cache = conv_forward(x, w, b, param(case))
    grads = conv_backward(dout, cache)
    assert out.dtype == dtype and all(g.dtype == dtype for g in grads)
    for original, copy in zip((x, w, b, dout), copies):
        np.testing.assert_array_equal(original, copy)
    # Changing the weights after the forward pass does not change the gradients.
    w += 1.0
    for before, after in zip(grads, conv_backward(dout, cache)):
        np.testing.assert_array_equal(before, after)


@settings(max_examples=100, **SETTINGS)
@given(n=st.integers(1, 40), f=st.integers(1, 12), pad=st.integers(0, 5), stride=st.integers(1, 6))
def test_conv_output_size(n, f, pad, stride):
    if n + 2 * pad < f:
        with pytest.raises(ValueError, match="does not fit"):
            conv_output_size(n, f, pad, stride)
        return
    size = conv_output_size(n, f, pad=pad, stride=stride)
    assert type(size) is int
    assert size == 1 + (n + 2 * pad - f) // stride
    torch_size = F.conv2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, f, 1), stride=(stride, 1), padding=(pad, 0)).shape[2]
    assert size == torch_size


@pytest.mark.parametrize(
    "args", [dict(n=2, f=3), dict(n=3, f=8, pad=2), dict(n=5, f=3, stride=0), dict(n=5, f=3, stride=-1), dict(n=5, f=3, pad=-1)]
)
def test_conv_output_size_rejects_bad_settings(args):
    with pytest.raises(ValueError):
        conv_output_size(**args)


def test_conv_output_size_defaults():
    assert conv_output_size(5, 3) == 3
    assert conv_output_size(n=5, f=5) == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@settings(max_examples=20, **SETTINGS)
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)), pad=st.integers(0, 3))
def test_zero_pad_equals_np_pad(dtype, shape, pad):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    copy = x.copy()
    padded = zero_pad(x, pad)
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    assert padded.dtype == dtype
    np.testing.assert_array_equal(x, copy)
    padded[...] = 7  # a new array, not a view of x
    np.testing.assert_array_equal(x, copy)


def test_zero_pad_rejects_negative_pad():
    with pytest.raises(ValueError):
        zero_pad(np.zeros((1, 1, 2, 2)), -1)


def test_conv_forward_rejects_mismatched_channels():
    with pytest.raises(ValueError):
        conv_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)), np.zeros(2), {"stride": 1, "pad": 0})
    with pytest.raises(ValueError):
        conv_forward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 0})
