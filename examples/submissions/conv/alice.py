"""Convolution assignment: a correct, vectorised (im2col) implementation."""
import numpy as np


def conv_output_size(n, f, pad=0, stride=1):
    if stride < 1 or pad < 0 or f < 1:
        raise ValueError("invalid stride, pad or kernel size")
    span = n + 2 * pad - f
    if span < 0:
        raise ValueError("kernel larger than the padded input")
    return span // stride + 1


def zero_pad(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')


def _windows(x_pad, HH, WW, stride, H_out, W_out):
    """A read-only strided view of shape (N, C, H_out, W_out, HH, WW)."""
    sN, sC, sH, sW = x_pad.strides
    N, C = x_pad.shape[:2]
    return np.lib.stride_tricks.as_strided(
        x_pad,
        shape=(N, C, H_out, W_out, HH, WW),
        strides=(sN, sC, sH * stride, sW * stride, sH, sW),
        writeable=False,
    )


def conv_forward(x, w, b, conv_param):
    s, p = conv_param['stride'], conv_param['pad']
    F, C, HH, WW = w.shape
    H_out = conv_output_size(x.shape[2], HH, p, s)
    W_out = conv_output_size(x.shape[3], WW, p, s)
    x_pad = np.ascontiguousarray(zero_pad(x, p))
    cols = _windows(x_pad, HH, WW, s, H_out, W_out)
    out = np.einsum('nchwij,fcij->nfhw', cols, w, optimize=True) + b.reshape(1, -1, 1, 1)
    return out.astype(x.dtype, copy=False), (x, w, b, conv_param)


def conv_backward(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = dout.shape[2], dout.shape[3]
    x_pad = np.ascontiguousarray(zero_pad(x, p))
    cols = _windows(x_pad, HH, WW, s, H_out, W_out)

    db = dout.sum(axis=(0, 2, 3)).astype(b.dtype, copy=False)
    dw = np.einsum('nchwij,nfhw->fcij', cols, dout, optimize=True).astype(w.dtype, copy=False)

    dcols = np.einsum('nfhw,fcij->nchwij', dout, w, optimize=True)
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(x.dtype, dcols.dtype))
    for i in range(HH):
        for j in range(WW):
            dx_pad[:, :, i:i + s * H_out:s, j:j + s * W_out:s] += dcols[:, :, :, :, i, j]
    dx = dx_pad[:, :, p:p + H, p:p + W].astype(x.dtype)
    return dx, dw, db
