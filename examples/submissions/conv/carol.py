import numpy as np


def conv_output_size(n, f, pad=0, stride=1)
    return 1 + (n + 2 * pad - f) // stride
