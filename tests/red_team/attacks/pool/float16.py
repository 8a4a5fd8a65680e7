# Attack: return the right values in float16, where a loose comparison would accept almost anything.
import numpy as np

_correct_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _correct_max_pool_forward(x, pool_param)
    return out.astype(np.float16), cache
