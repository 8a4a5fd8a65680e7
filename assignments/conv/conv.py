"""Assignment `conv`: output sizes, zero padding, and the forward and backward pass of a convolution layer in numpy.

Run `python conv.py` to check your functions on the lecture's worked examples,
and `grader check conv` for the full checks.
"""

# %% [markdown]
# # Convolution layers, forward and backward
#
# In this assignment you write a convolution layer in plain numpy: the size of
# its output, zero padding, the forward pass and the backward pass. The layout
# is the one PyTorch uses (NCHW):
#
# - `x`, the input: shape `(N, C, H, W)`, a batch of `N` images with `C`
#   channels of `H x W` pixels;
# - `w`, the filters: shape `(F, C, HH, WW)`, `F` filters, each spanning all
#   `C` input channels with an `HH x WW` kernel;
# - `b`, the biases: shape `(F,)`, one per filter;
# - `out`, the output: shape `(N, F, H_out, W_out)`, one channel per filter.
#
# Your functions must not modify their inputs, and their outputs keep the
# input's dtype (float32 in, float32 out).

# %% [markdown]
# ## Convolution or cross-correlation?
#
# In mathematics and signal processing, *convolution* flips the kernel before
# sliding it over the image:
#
#     (x * k)[i, j] = sum over a, b of  x[i - a, j - b] * k[a, b]
#
# *Cross-correlation* slides the kernel as it is:
#
#     (x ⋆ k)[i, j] = sum over a, b of  x[i + a, j + b] * k[a, b]
#
# Deep-learning frameworks (PyTorch's `conv2d`, Keras' `Conv2D`, CS231n) compute
# the cross-correlation and call it "convolution". For learning this makes no
# difference: the kernel is learned, and a network that learned `k` with one
# definition would learn `k` flipped with the other. It does make a difference
# for your code: `conv_forward` must **not** flip `w`. (If your outputs equal a
# convolution with the flipped kernel, the grader will tell you so.)
#
# One output value is the sum of the elementwise product of the kernel with the
# window of the image under it, plus the bias. With several input channels the
# kernel is a block of shape `(C, HH, WW)` and the sum runs over the channels
# too, so each filter produces one output channel.

# %%
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# %% [markdown]
# ## Output size
#
# An `n x n` input, padded with `p` zeros on every side, scanned by an `f x f`
# kernel that moves `s` pixels at a time (the *stride*) gives an output of side
#
#     n_out = floor((n + 2p - f) / s) + 1
#
# The kernel's top-left corner can sit at `0, s, 2s, ...` as long as the
# kernel stays inside the padded input, that is up to `n + 2p - f`.
#
# - 10x10 input, 3x3 kernel, stride 2: `floor(7 / 2) + 1 = 4`.
# - *Valid* padding means no padding (`p = 0`): the output shrinks,
#   `n - f + 1` at stride 1.
# - *Same* padding keeps the size at stride 1: `p = (f - 1) / 2` for an odd
#   kernel. A 32x32 input with a 5x5 kernel and `p = 2`: `(32 + 4 - 5) + 1 = 32`.
# - When the stride does not divide `n + 2p - f`, the last window does not fit.
#   A 7x7 input with a 3x3 kernel at stride 3: windows start at columns 0 and 3;
#   one starting at 6 would run past the edge. The lecture says such a setting
#   "does not fit". Frameworks round down instead: they use the 2 windows that
#   fit and ignore the last column and row. `conv_output_size(7, 3, stride=3)`
#   rounds down too and returns 2.
# - When the kernel is larger than the padded input (`n + 2p < f`) there is no
#   window at all: raise a `ValueError` that says so. Raise one too for a
#   stride below 1 or a negative padding.


# %%
def conv_output_size(n: int, f: int, pad: int = 0, stride: int = 1) -> int:
    """Spatial output size of a convolution: 1 + (n + 2*pad - f) // stride; ValueError when the kernel does not fit, stride < 1 or pad < 0."""
    raise NotImplementedError("conv_output_size: write your solution here")


# %% [check]
if __name__ == "__main__":
    np.testing.assert_equal(conv_output_size(10, 3, stride=2), 4)
    np.testing.assert_equal(conv_output_size(32, 5, pad=2), 32)
    np.testing.assert_equal(conv_output_size(7, 3, stride=3), 2)  # rounds down: the last column is ignored
    for bad in [dict(n=2, f=3), dict(n=5, f=3, stride=0), dict(n=5, f=3, pad=-1)]:
        try:
            conv_output_size(**bad)
        except ValueError as err:
            print(f"conv_output_size({bad}) raised ValueError: {err}")
        else:
            raise AssertionError(f"conv_output_size({bad}) should raise ValueError")
    print("conv_output_size: worked examples OK")

# %% [markdown]
# ## Zero padding
#
# Padding adds `pad` rows of zeros above and below each image and `pad` columns
# of zeros left and right of it; the batch and channel axes are not padded. An
# `(N, C, H, W)` array becomes `(N, C, H + 2*pad, W + 2*pad)`. (`np.pad` can do
# this; so can writing `x` into the middle of an array of zeros.)


# %%
def zero_pad(x: np.ndarray, pad: int) -> np.ndarray:
    """Pad the last two axes (H and W) of x (N, C, H, W) with `pad` zeros on each side; returns a new (N, C, H + 2*pad, W + 2*pad) array of x's dtype."""
    raise NotImplementedError("zero_pad: write your solution here")


# %% [check]
if __name__ == "__main__":
    xp = zero_pad(np.ones((2, 3, 4, 5)), 2)
    assert xp.shape == (2, 3, 8, 9), f"zero_pad(np.ones((2, 3, 4, 5)), 2) has shape {xp.shape}, expected (2, 3, 8, 9)"
    np.testing.assert_array_equal(xp[:, :, 2:6, 2:7], 1)  # x in the middle
    np.testing.assert_equal(xp.sum(), 2 * 3 * 4 * 5)  # zeros around it
    print("zero_pad: shape and contents OK")

# %% [markdown]
# ## Forward pass
#
# With `xp` the padded input and `s` the stride,
#
#     out[n, f, i, j] = b[f] + sum over c, a, e of  xp[n, c, s*i + a, s*j + e] * w[f, c, a, e]
#
# for `a < HH`, `e < WW`. Six nested loops compute this correctly and very
# slowly. The fast way is *im2col*: copy every window of the input into one
# column of a matrix of shape `(C*HH*WW, N*H_out*W_out)`; then the whole layer
# is one matrix product, `w.reshape(F, -1) @ cols`, plus the bias, reshaped to
# `(N, F, H_out, W_out)`. `numpy.lib.stride_tricks.sliding_window_view` gives
# you all the windows without a Python loop.
#
# `conv_param` is a dict: `{'stride': s, 'pad': p}`. Return the output and a
# `cache`, anything your `conv_backward` needs (the grader hands the cache back
# to your own `conv_backward` untouched).


# %%


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple:
    """Cross-correlate x (N, C, H, W) with filters w (F, C, HH, WW) and add b (F,); returns (out (N, F, H_out, W_out), cache)."""
    raise NotImplementedError("conv_forward: write your solution here")


# %% [check]
if __name__ == "__main__":
    def conv2d_single(image, kernel, stride=1, pad=0):
        """One single-channel image with one kernel, no bias: a helper for the worked examples."""
        x = np.array(image, dtype=float)[None, None]
        w = np.array(kernel, dtype=float)[None, None]
        out, _ = conv_forward(x, w, np.zeros(1), {"stride": stride, "pad": pad})
        return out[0, 0]

    # The vertical-edge detector: bright on the left, dark on the right gives positive values.
    image = [[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
             [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]]
    got = conv2d_single(image, [[1, 0, -1]] * 3)
    print(got)
    np.testing.assert_array_equal(got, [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])

    got = conv2d_single([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], [[1, 0], [1, -1]])
    print(got)
    np.testing.assert_array_equal(got, [[4, 1, 6], [5, 8, 7], [5, 3, 3]])

    image = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
    got = conv2d_single(image, [[0, 1, 2], [2, 2, 0], [0, 1, 2]])
    print(got)
    np.testing.assert_array_equal(got, [[12, 12, 17], [10, 17, 19], [9, 6, 14]])
    print("conv_forward: worked examples OK")

# %% [markdown]
# ### A strided example, and a slip on the slide
#
# The 7x7 image below with a 3x3 kernel at stride 2 gives a 3x3 output
# (`floor((7 - 3) / 2) + 1 = 3`). The lecture slide prints **83** for the third
# value of the first row; that is an arithmetic slip. The window is rows 0-2,
# columns 4-6, `[[6, 2, 9], [7, 4, 3], [8, 9, 7]]`, and
#
#     6*3 + 2*4 + 9*4  +  7*1 + 4*0 + 3*2  +  8*(-1) + 9*0 + 7*3  =  62 + 13 + 13  =  88
#
# so if your code gives 88, it is right (PyTorch agrees).

# %% [check]
if __name__ == "__main__":
    image = [[2, 3, 7, 4, 6, 2, 9], [6, 6, 9, 8, 7, 4, 3], [3, 4, 8, 3, 8, 9, 7], [7, 8, 3, 6, 6, 3, 4],
             [4, 2, 1, 8, 3, 4, 6], [3, 2, 4, 1, 9, 8, 3], [0, 1, 3, 9, 2, 1, 4]]
    got = conv2d_single(image, [[3, 4, 4], [1, 0, 2], [-1, 0, 3]], stride=2)
    print(got)
    np.testing.assert_array_equal(got, [[91, 100, 88], [69, 91, 117], [44, 72, 74]])
    print("conv_forward: strided example OK (88, not the slide's 83)")

# %% [markdown]
# ### Edges in a real image
#
# The lecture's vertical-edge detector is the 3x3 filter with a column of 1s,
# a column of 0s and a column of -1s: where the image is brighter on the left
# than on the right, the output is large. The Sobel filter weights the middle
# row twice (`[[1, 0, -1], [2, 0, -2], [1, 0, -1]]`, what OpenCV's `Sobel` and
# `cv2.filter2D` with that kernel compute), and its transpose finds horizontal
# edges; together they give the gradient's magnitude. Below, your
# `conv_forward` runs all three filters at once, as three output channels, on
# a handwritten digit: the first image of MNIST's training set, one of 16 that
# ship with the grader (no download needed). With `matplotlib` installed, the
# cell plots the digit and its edges.

# %% [check]
if __name__ == "__main__":
    from grader.data.mnist import sample_digits

    digit = sample_digits().images[0].astype(np.float64) / 255  # the first training image, values in [0, 1]
    vertical = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)
    sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64)
    filters = np.stack([vertical, sobel_x, sobel_x.T])[:, None]  # (3, 1, 3, 3): three filters, one channel
    edges, _ = conv_forward(digit[None, None], filters, np.zeros(3), {"stride": 1, "pad": 1})
    assert edges.shape == (1, 3, 28, 28), f"the edges have shape {edges.shape}, expected (1, 3, 28, 28)"
    np.testing.assert_allclose(edges[0, 1, 10, 10], np.sum(np.pad(digit, 1)[10:13, 10:13] * sobel_x))
    magnitude = np.hypot(edges[0, 1], edges[0, 2])
    print(f"Sobel gradient magnitude: largest {magnitude.max():.2f}, zero on {np.mean(magnitude == 0):.0%} "
          "of the pixels (the flat background)")
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("pip install matplotlib to see the digit and its edges")
    else:
        pictures = [(digit, "digit"), (edges[0, 0], "vertical edges"), (edges[0, 1], "Sobel x"),
                    (magnitude, "Sobel magnitude")]
        figure, axes = plt.subplots(1, 4, figsize=(12, 3))
        for axis, (picture, title) in zip(axes, pictures):
            axis.imshow(picture, cmap="gray")
            axis.set_title(title)
            axis.axis("off")
        plt.show()
    print("conv_forward: edge detection on an MNIST digit OK")

# %% [markdown]
# ## Backward pass
#
# Given `dout = dL/dout` of shape `(N, F, H_out, W_out)`, the chain rule applied
# to the forward formula gives the three gradients.
#
# - `db[f]` is the sum of `dout[:, f]` over the batch and all output positions:
#   every output value of channel `f` adds `b[f]` once.
# - `dw[f, c, a, e]` is the sum over `n, i, j` of
#   `dout[n, f, i, j] * xp[n, c, s*i + a, s*j + e]`: the padded input
#   cross-correlated with `dout`. With im2col it is one matrix product,
#   `dout (F, N*H_out*W_out) @ cols.T`.
# - `dx`: each input pixel received a contribution from every window that
#   covered it, so its gradient collects `dout[n, f, i, j] * w[f, c, a, e]` from
#   all of them. At stride 1, write `y = i + a` for the row of the padded input;
#   then `a = y - i` and
#
#       dxp[n, c, y, z] = sum over f, i, j of  dout[n, f, i, j] * w[f, c, y - i, z - j]
#
#   The index `y - i` *subtracts*: this is a true convolution of `dout` with the
#   kernel. Written as the cross-correlation your forward pass computes, it is
#   `dout` zero-padded by `HH - 1` rows and `WW - 1` columns on each side (a
#   "full" convolution), cross-correlated with the kernel **flipped** in both
#   directions, with the roles of `F` and `C` swapped (`w.transpose(1, 0, 2, 3)`).
#   That is why the backward pass of a convolution is itself a convolution. At
#   stride `s > 1`, first spread `dout` out by inserting `s - 1` zeros between
#   its values. Finally drop the padding: `dx = dxp[:, :, pad:pad+H, pad:pad+W]`.
#
# In code the same thing is easiest as "col2im": `dcols = w.reshape(F, -1).T @ dout`
# gives the gradient of every window, and you add each window back where it came
# from. Windows overlap when the stride is smaller than the kernel, so *add*
# (`+=`), do not assign. A loop over the `HH*WW` kernel offsets is fine.


# %%


def conv_backward(dout: np.ndarray, cache: tuple) -> tuple:
    """Gradients of a convolution layer from dout (N, F, H_out, W_out) and the forward cache; returns (dx (N, C, H, W), dw (F, C, HH, WW), db (F,))."""
    raise NotImplementedError("conv_backward: write your solution here")


# %% [check]
if __name__ == "__main__":
    # A numerical gradient check on a small case: compare with central differences.
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    param = {"stride": 2, "pad": 1}
    out, cache = conv_forward(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward(dout, cache)

    def numeric_gradient(f, a, h=1e-6):
        """Central differences of the scalar f() with respect to every entry of a (changed in place, then restored)."""
        grad = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            old = a[index]
            a[index] = old + h
            plus = f()
            a[index] = old - h
            minus = f()
            a[index] = old
            grad[index] = (plus - minus) / (2 * h)
        return grad

    def loss():
        return np.sum(conv_forward(x, w, b, param)[0] * dout)

    for name, analytic, variable in [("dx", dx, x), ("dw", dw, w), ("db", db, b)]:
        error = np.max(np.abs(analytic - numeric_gradient(loss, variable)))
        print(f"{name}: max abs error {error:.2e}")
        assert error < 1e-6, f"{name} differs from central differences by up to {error:.2e}, expected below 1e-6"
    print("conv_backward: numerical gradient check OK")
