"""Assignment `im2col`: convolution as one matrix multiplication, in numpy.

Run `python im2col.py` to check your functions on the lecture's worked examples,
and `grader check im2col` for the full checks.
"""

# %% [markdown]
# # Convolution as matrix multiplication (im2col)
#
# A convolution layer computes, for every output pixel, the dot product of a
# filter with the window of the input under it. Written with loops, that is
# millions of small dot products; written as *one* matrix product, it runs at
# the speed of your machine's linear-algebra library. The trick, *im2col*
# ("image to columns"), is to copy every window of the input into a column of a
# big matrix once; then every filter meets every window in a single product.
#
# The layout is the one of the `conv` assignment (NCHW, as in PyTorch):
#
# - `x`, the input: shape `(N, C, H, W)`;
# - `w`, the filters: shape `(F, C, HH, WW)`; `b`, the biases: shape `(F,)`;
# - the output: shape `(N, F, H_out, W_out)` with
#   `H_out = 1 + (H + 2*pad - HH) // stride` and
#   `W_out = 1 + (W + 2*pad - WW) // stride`.
#
# "Convolution" means cross-correlation (the kernel is not flipped), as in
# `conv_forward`. Your functions must not modify their inputs, and their
# outputs keep the input's dtype (float32 in, float32 out).

# %%
import numpy as np

# %% [markdown]
# ## The column matrix
#
# Pad `x` with `pad` zeros on each side of H and W; call the result `xp`. The
# window of output pixel `(h, w)` of image `n` starts at row `stride*h`,
# column `stride*w` of `xp` and spans all `C` channels, `HH` rows and `WW`
# columns: `C*HH*WW` numbers. `im2col(x, HH, WW, stride, pad)` returns the
# matrix `cols` of shape `(C*HH*WW, N*H_out*W_out)` that holds one window per
# column, **in this exact order**:
#
# - **columns** are ordered `(n, h, w)`: the window of output pixel `(h, w)` of
#   image `n` is column `m = (n*H_out + h)*W_out + w` (image by image, and in
#   each image row by row, as `np.reshape` orders them);
# - **rows** are ordered `(c, i, j)`: the value at channel `c`, row `i`, column
#   `j` of the window is row `r = (c*HH + i)*WW + j`, the order of
#   `w[f].reshape(-1)`.
#
# In one line:
#
#     cols[(c*HH + i)*WW + j, (n*H_out + h)*W_out + w] = xp[n, c, stride*h + i, stride*w + j]
#
# or, with numpy's reshape, `cols.reshape(C, HH, WW, N, H_out, W_out)[c, i, j, n, h, w]`.
# This is the layout of PyTorch's `torch.nn.functional.unfold` with the images
# of the batch side by side.
#
# For example, the 3x3 image `[[1, 2, 3], [4, 5, 6], [7, 8, 9]]` (one image, one
# channel) with a 2x2 kernel at stride 1 has four windows, and
#
#     cols = [[1, 2, 4, 5],     row (c, i, j) = (0, 0, 0): each window's top-left value
#             [2, 3, 5, 6],     (0, 0, 1): top-right
#             [4, 5, 7, 8],     (0, 1, 0): bottom-left
#             [5, 6, 8, 9]]     (0, 1, 1): bottom-right
#
# **Speed.** Do not loop over output pixels. A loop over the `HH*WW` positions
# inside the kernel is fine: each step copies one strided slice of the whole
# batch, `xp[:, :, i:i + stride*H_out:stride, j:j + stride*W_out:stride]`, into
# the rows of `cols` for that `(i, j)`. (`numpy.lib.stride_tricks.sliding_window_view`
# gives all the windows at once without any loop.)


# %%


def im2col(x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
    """Every HH x WW window of x (N, C, H, W), zero-padded by pad, taken every stride pixels, as a column of a (C*HH*WW, N*H_out*W_out) matrix: rows ordered (c, i, j), columns (n, h, w)."""
    raise NotImplementedError("im2col: write your solution here")


# %% [check]
if __name__ == "__main__":
    image = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    cols = im2col(image, 2, 2, stride=1, pad=0)
    print(cols)
    np.testing.assert_array_equal(cols, [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]])

    two_channels = np.stack([image[0, 0], 10 * image[0, 0]])[None]  # (1, 2, 3, 3): rows come channel by channel
    np.testing.assert_array_equal(im2col(two_channels, 2, 2, 1, 0)[4:], 10 * cols)

    padded = im2col(np.ones((2, 1, 2, 2)), 3, 3, stride=1, pad=1)  # (9, 2*2*2): each window sees 4 ones
    assert padded.shape == (9, 8), f"the column matrix has shape {padded.shape}, expected (9, 8)"
    np.testing.assert_array_equal(padded.sum(axis=0), [4] * 8)
    print("im2col: worked examples OK")

# %% [markdown]
# ## The convolution as one product
#
# With `cols = im2col(x, HH, WW, stride, pad)`, row `f` of
# `w.reshape(F, -1) @ cols` is filter `f`'s dot product with every window: an
# `(F, N*H_out*W_out)` matrix, columns ordered `(n, h, w)`. Add the bias
# (`b[:, None]`), then bring it to `(N, F, H_out, W_out)`:
#
# - `reshape(F, N, H_out, W_out)` splits the columns back into `(n, h, w)`;
# - `.transpose(1, 0, 2, 3)` moves the filter axis behind the batch axis.
#
# Careful: `reshape(N, F, H_out, W_out)` on the product also gives the right
# *shape*, but mixes up images and filters. The output must equal
# `conv_forward`'s (the grader compares with PyTorch's `conv2d`).
#
# `conv_param` is the dict `{'stride': s, 'pad': p}`. Return `(out, cache)`; the
# cache may hold anything (the grader never looks inside it).
#
# **The speed check.** The grader times `conv_forward_im2col` on `x` of shape
# `(64, 1, 32, 32)` with two 3x3 filters, stride 1, pad 1 (best of a few runs),
# against a fixed workload of the same size measured in the same process: one
# copy of a `(9, 65536)` matrix plus the product of a `(2, 9)` matrix with it,
# the least an im2col convolution does. Yours may take at most 25 times as long.
# An im2col solution takes 1 to 3 times as long; a Python loop over the 65,536
# output pixels takes 75 times as long or more, and fails.


# %%
def conv_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple:
    """conv_forward as one matrix product: w.reshape(F, -1) @ im2col(x, HH, WW, stride, pad) plus b, as (N, F, H_out, W_out); returns (out, cache)."""
    raise NotImplementedError("conv_forward_im2col: write your solution here")


# %% [check]
if __name__ == "__main__":
    x = np.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], dtype=float)[None, None]
    out, _ = conv_forward_im2col(x, np.array([[1, 0], [1, -1]], dtype=float)[None, None], np.zeros(1),
                                 {"stride": 1, "pad": 0})
    print(out[0, 0])
    np.testing.assert_array_equal(out[0, 0], [[4, 1, 6], [5, 8, 7], [5, 3, 3]])

    def conv_loops(x, w, b, stride, pad):
        """The definition, with loops: a slow but plain witness for random inputs."""
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        F, _, HH, WW = w.shape
        H_out, W_out = 1 + (xp.shape[2] - HH) // stride, 1 + (xp.shape[3] - WW) // stride
        out = np.zeros((x.shape[0], F, H_out, W_out))
        for h in range(H_out):
            for v in range(W_out):
                window = xp[:, :, stride * h:stride * h + HH, stride * v:stride * v + WW]
                out[:, :, h, v] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
        return out

    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out, _ = conv_forward_im2col(x, w, b, {"stride": 2, "pad": 1})
    assert out.shape == (2, 4, 4, 4), f"the output has shape {out.shape}, expected (2, 4, 4, 4)"
    np.testing.assert_allclose(out, conv_loops(x, w, b, 2, 1))
    print("conv_forward_im2col: worked example and random inputs OK")
