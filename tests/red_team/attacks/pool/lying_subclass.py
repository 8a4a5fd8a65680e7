# Attack: return zeros as an ndarray subclass whose comparisons, truth value and ufuncs all say "equal".
import numpy as np


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    def __bool__(self):
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.ones(np.broadcast(*inputs).shape, dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True


_correct_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _correct_max_pool_forward(x, pool_param)
    return np.zeros(out.shape, out.dtype).view(Liar), cache
