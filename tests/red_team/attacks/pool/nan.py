# Attack: return NaN everywhere, which comparisons with equal_nan or a "not greater than tolerance" test
# would let through.
import numpy as np

_correct_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _correct_max_pool_forward(x, pool_param)
    return np.full_like(out, np.nan), cache
