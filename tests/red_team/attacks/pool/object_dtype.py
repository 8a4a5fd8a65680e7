# Attack: return the right values in an array of dtype object (which could hold anything, and would be
# unpickled by a careless grader).
import numpy as np

_correct_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _correct_max_pool_forward(x, pool_param)
    return out.astype(object), cache
