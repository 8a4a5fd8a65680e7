"""Assignment `relu`: the rectified linear unit, forward and backward.

Run `python relu.py` to check your functions on the worked example,
and `grader --course COURSE check relu` for the full checks.
"""

# %% [markdown]
# # ReLU, forward and backward
#
# The rectified linear unit keeps positive inputs and zeroes the rest: `out = max(x, 0)`, elementwise.
# Its backward pass lets the upstream gradient through where the input was positive, and stops it
# elsewhere (at exactly 0 too, as PyTorch does). Arrays may have any shape; outputs keep the input's dtype.

# %%
import numpy as np


# %%
def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max(x, 0) elementwise, and the cache the backward pass needs (x itself)."""
    # BEGIN SOLUTION
    return np.maximum(x, 0).astype(x.dtype), x
    # END SOLUTION


# %%
def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """The gradient of the loss with respect to x: dout where x > 0, 0 elsewhere."""
    # BEGIN SOLUTION
    x = cache
    return np.where(x > 0, dout, 0).astype(dout.dtype)
    # END SOLUTION


# %% [check]
if __name__ == "__main__":
    out, cache = relu_forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(relu_backward(np.array([5.0, 5.0, 5.0]), cache), [0.0, 0.0, 5.0])
    print("relu: worked example OK")
