# Attack: return more than the grader reads: a list of 300,000 numbers (a 2 MB message header) and a
# 320 MiB array (over the 256 MiB a reply may hold). Calls from the submission's own code get correct answers.
import sys

import numpy as np

_correct_conv2d_param_count = conv2d_param_count


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    if sys._getframe(1).f_globals is globals():
        return _correct_conv2d_param_count(in_channels, out_channels, kernel_size, bias)
    return list(range(300_000))


def receptive_field(layers):
    return np.zeros(40 << 20)
