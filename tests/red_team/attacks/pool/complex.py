# Attack: return the right values as complex numbers with a huge imaginary part, which a comparison of real
# parts alone would accept.
import numpy as np

_correct_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _correct_max_pool_forward(x, pool_param)
    return out + 1e6j, cache
