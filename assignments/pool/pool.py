"""Assignment `pool`: the forward and backward pass of max pooling and average pooling in numpy.

Run `python pool.py` to check your functions on the lecture's worked example,
and `grader check pool` for the full checks.
"""

# %% [markdown]
# # Pooling layers, forward and backward
#
# A pooling layer shrinks each channel of its input by summarising every
# `pool_height x pool_width` window in one number: the largest value (*max
# pooling*) or the mean (*average pooling*). Channels are pooled separately, so
# the number of channels does not change: `x` of shape `(N, C, H, W)` gives an
# output of shape `(N, C, H_out, W_out)`.
#
# Pooling has **no parameters**: nothing in it is learned. It only has
# *hyperparameters*, the window size and the stride, chosen by you. A
# pooling layer adds 0 to a model's parameter count.
#
# `pool_param` is a dict `{'pool_height': ph, 'pool_width': pw, 'stride': s}`.
# There is no padding. The output size is the one of a convolution, rounded
# down:
#
#     H_out = 1 + (H - ph) // s        W_out = 1 + (W - pw) // s
#
# The usual setting is 2x2 windows at stride 2, which halves height and width.
# When the stride is smaller than the window, windows *overlap*; when the
# stride does not divide `H - ph`, the last rows are ignored, as in a
# convolution.
#
# Your functions must not modify their inputs, and their outputs keep the
# input's dtype.

# %%
import numpy as np


# %% [markdown]
# ## Max pooling
#
#     out[n, c, i, j] = max over a < ph, e < pw of  x[n, c, s*i + a, s*j + e]
#
# A loop over the `ph*pw` positions inside the window, each time taking a
# strided slice of the whole batch (`x[:, :, a::s, e::s]`, cut to
# `H_out x W_out`), is fast: there are few window positions and many windows.
#
# **Backward.** The maximum depends only on the one input where it was taken,
# with slope 1; every other input of the window has gradient 0. So each
# `dout[n, c, i, j]` goes, whole, to the position of the maximum of its window,
# and the forward pass must remember where that was (put it in the cache).
#
# - **Ties:** if several values in a window equal the maximum, send the
#   gradient to the *first* of them in row-major order (top row first, left to
#   right), as PyTorch does. Any choice is a valid subgradient, but the grader
#   compares with PyTorch.
# - **Overlapping windows:** when the stride is smaller than the window, one
#   input can be the maximum of several windows; its gradient is the *sum* of
#   theirs. Accumulate (`+=`, `np.add.at`), do not assign.


# %%


def max_pool_forward(x: np.ndarray, pool_param: dict) -> tuple:
    """Max pooling of x (N, C, H, W) over pool_height x pool_width windows at the given stride; returns (out (N, C, H_out, W_out), cache)."""
    raise NotImplementedError("max_pool_forward: write your solution here")


# %%
def max_pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of max pooling: each dout (N, C, H_out, W_out) value goes to its window's first maximum (summed where windows overlap); returns dx (N, C, H, W)."""
    raise NotImplementedError("max_pool_backward: write your solution here")


# %% [check]
if __name__ == "__main__":
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None, None]
    out, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    print(out[0, 0])
    np.testing.assert_array_equal(out[0, 0], [[6, 8], [3, 4]])
    dx = max_pool_backward(np.ones_like(out), cache)
    print(dx[0, 0])
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]])

    # A tie: the gradient goes to the first maximum in row-major order.
    out, cache = max_pool_forward(np.full((1, 1, 2, 2), 7.0), {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = max_pool_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0], [0, 0]])

    # Overlapping windows (stride 1 < window 2): the centre is the maximum of all four windows.
    x = np.array([[0, 0, 0], [0, 9, 0], [0, 0, 0]], dtype=float)[None, None]
    out, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    dx = max_pool_backward(np.ones_like(out), cache)
    print(dx[0, 0])
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])
    print("max pooling: worked examples OK")

# %% [markdown]
# ## Average pooling
#
#     out[n, c, i, j] = (1 / (ph*pw)) * sum over a < ph, e < pw of  x[n, c, s*i + a, s*j + e]
#
# **Backward.** Every input of a window contributes `1 / (ph*pw)` of itself to
# the window's output, so each `dout[n, c, i, j]` is shared equally: every
# input of the window receives `dout[n, c, i, j] / (ph*pw)`. Do not forget the
# division, and again add up where windows overlap.


# %%
def avg_pool_forward(x: np.ndarray, pool_param: dict) -> tuple:
    """Average pooling of x (N, C, H, W) over pool_height x pool_width windows at the given stride; returns (out (N, C, H_out, W_out), cache)."""
    raise NotImplementedError("avg_pool_forward: write your solution here")


# %%
def avg_pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of average pooling: each dout (N, C, H_out, W_out) value is shared equally by its window's ph*pw inputs; returns dx (N, C, H, W)."""
    raise NotImplementedError("avg_pool_backward: write your solution here")


# %% [check]
if __name__ == "__main__":
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None, None]
    out, cache = avg_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    print(out[0, 0])
    np.testing.assert_array_equal(out[0, 0], [[3.25, 5.25], [2, 2]])
    dx = avg_pool_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], np.full((4, 4), 0.25))
    print("average pooling: worked example OK")
