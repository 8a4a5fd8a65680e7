# Attack: return one number shaped (1, 1, 1, 1), which broadcasts against any expected array: a comparison
# that broadcasts accepts it whenever the expected values are all equal.
_correct_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _correct_max_pool_forward(x, pool_param)
    return out.max(keepdims=True), cache
