"""Pooling assignment: a correct, plain-loop implementation."""
import numpy as np


def max_pool_forward(x, pool_param):
    """Max pooling over (pool_height, pool_width) windows, no padding."""
    ph = pool_param['pool_height']
    pw = pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride

    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best = x[n, c, i * stride, j * stride]
                    for di in range(ph):
                        for dj in range(pw):
                            v = x[n, c, i * stride + di, j * stride + dj]
                            if v > best:
                                best = v
                    out[n, c, i, j] = best
    cache = (x, pool_param)
    return out, cache


def max_pool_backward(dout, cache):
    """Each upstream gradient goes to the first maximum (row-major) of its window."""
    x, pool_param = cache
    ph = pool_param['pool_height']
    pw = pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H_out, W_out = dout.shape

    dx = np.zeros(x.shape, dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best_i, best_j = i * stride, j * stride
                    for di in range(ph):
                        for dj in range(pw):
                            r, s = i * stride + di, j * stride + dj
                            if x[n, c, r, s] > x[n, c, best_i, best_j]:
                                best_i, best_j = r, s
                    dx[n, c, best_i, best_j] += dout[n, c, i, j]
    return dx


def avg_pool_forward(x, pool_param):
    """Average pooling over (pool_height, pool_width) windows, no padding."""
    ph = pool_param['pool_height']
    pw = pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride

    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    total = 0.0
                    for di in range(ph):
                        for dj in range(pw):
                            total += x[n, c, i * stride + di, j * stride + dj]
                    out[n, c, i, j] = total / (ph * pw)
    cache = (x.shape, x.dtype, pool_param)
    return out, cache


def avg_pool_backward(dout, cache):
    x_shape, dtype, pool_param = cache
    ph = pool_param['pool_height']
    pw = pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H_out, W_out = dout.shape

    dx = np.zeros(x_shape, dtype=dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    share = dout[n, c, i, j] / (ph * pw)
                    for di in range(ph):
                        for dj in range(pw):
                            dx[n, c, i * stride + di, j * stride + dj] += share
    return dx
# Mistake: avg_pool_backward forgets to divide the upstream gradient by pool_height * pool_width.
import numpy as np


def avg_pool_backward(dout, cache):
    x_shape, dtype, pool_param = cache
    ph = pool_param['pool_height']
    pw = pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H_out, W_out = dout.shape

    dx = np.zeros(x_shape, dtype=dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    for di in range(ph):
                        for dj in range(pw):
                            dx[n, c, i * stride + di, j * stride + dj] += dout[n, c, i, j]
    return dx
