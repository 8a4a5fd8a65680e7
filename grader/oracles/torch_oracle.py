"""Expected values from PyTorch: ``conv2d``, ``max_pool2d``, ``avg_pool2d``, autograd and ``nn`` layers.

This is the oracle of the released (student) package, which has no
``reference/``; gradients always come from autograd, in both modes. Every
value is computed in float64 and returned in the input's dtype, so the only
error left in a comparison is the student's.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from grader.oracles.lenet_model import LeNet5Variant

Layer = tuple
Shape = tuple[int, ...]


def _tensor(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def _array(tensor: torch.Tensor, like: np.ndarray) -> np.ndarray:
    return tensor.detach().numpy().astype(like.dtype)


class TorchOracle:
    """The student API's semantics, computed with PyTorch."""

    name = "pytorch"

    def conv_output_size(self, n: int, f: int, pad: int = 0, stride: int = 1) -> int:
        if stride < 1 or pad < 0 or n + 2 * pad < f:
            raise ValueError(f"a {f}-wide kernel does not fit an input of {n} with pad {pad}, stride {stride}")
        return int(F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, f), stride=stride, padding=pad).shape[-1])

    def zero_pad(self, x: np.ndarray, pad: int) -> np.ndarray:
        return _array(F.pad(_tensor(x), (pad, pad, pad, pad)), x)

    def conv_forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
        return _array(F.conv2d(_tensor(x), _tensor(w), _tensor(b), stride=stride, padding=pad), x)

    def conv_gradients(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int,
                       dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """dx, dw, db of ``sum(conv(x, w, b) * dout)``, by autograd."""
        tx, tw, tb = _tensor(x, True), _tensor(w, True), _tensor(b, True)
        F.conv2d(tx, tw, tb, stride=stride, padding=pad).backward(_tensor(dout))
        return _array(tx.grad, x), _array(tw.grad, w), _array(tb.grad, b)

    def im2col(self, x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
        """Every window as a column, rows ordered (c, i, j), columns (n, h, w): ``F.unfold``, batch side by side."""
        n, c, h, w = x.shape
        if stride < 1 or pad < 0 or h + 2 * pad < HH or w + 2 * pad < WW:
            raise ValueError(f"a {HH}x{WW} kernel does not fit an input of {h}x{w} with pad {pad}, stride {stride}")
        cols = F.unfold(_tensor(x), (HH, WW), padding=pad, stride=stride)
        return _array(cols.permute(1, 0, 2).reshape(c * HH * WW, -1), x)

    def max_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return _array(F.max_pool2d(_tensor(x), (ph, pw), stride), x)

    def avg_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return _array(F.avg_pool2d(_tensor(x), (ph, pw), stride), x)

    def max_pool_gradient(self, x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray) -> np.ndarray:
        tx = _tensor(x, True)
        F.max_pool2d(tx, (ph, pw), stride).backward(_tensor(dout))
        return _array(tx.grad, x)

    def avg_pool_gradient(self, x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray) -> np.ndarray:
        tx = _tensor(x, True)
        F.avg_pool2d(tx, (ph, pw), stride).backward(_tensor(dout))
        return _array(tx.grad, x)

    def conv2d_param_count(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                           bias: bool = True) -> int:
        return _count(torch.nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, device="meta"))

    def linear_param_count(self, in_features: int, out_features: int, bias: bool = True) -> int:
        return _count(torch.nn.Linear(in_features, out_features, bias=bias, device="meta"))

    def layer_output_shape(self, input_shape: Shape, layer: Layer) -> Shape:
        spatial = layer[0] in ("conv", "maxpool", "avgpool", "flatten")
        if len(input_shape) != (3 if spatial else 1) and layer[0] not in ("relu", "dropout"):
            raise ValueError(f"layer {layer} does not take an input of shape {input_shape}")
        module = _module(input_shape, layer)
        try:
            out = module(torch.zeros((1, *input_shape), device="meta"))
        except RuntimeError as error:
            raise ValueError(f"layer {layer} does not fit input {input_shape}: {error}") from None
        return tuple(int(d) for d in out.shape[1:])

    def model_param_count(self, input_shape: Shape, layers: Sequence[Layer]) -> int:
        total, shape = 0, tuple(input_shape)
        for layer in layers:
            total += _count(_module(shape, layer))
            shape = self.layer_output_shape(shape, layer)
        return total

    def lenet(self, num_classes: int = 10, in_channels: int = 1) -> torch.nn.Module:
        """The specified LeNet-5, to load a student's weights into."""
        return LeNet5Variant(num_classes, in_channels)

    def receptive_field(self, layers: Sequence[Layer]) -> int:
        """Measured: the input extent that reaches one output unit's gradient (pools as averages, no padding)."""
        spatial = [layer for layer in _until_flatten(layers) if layer[0] in ("conv", "maxpool", "avgpool")]
        bound = 1 + sum((_kernel(layer) - 1) * int(np.prod([_stride(l) for l in spatial[:i]], dtype=np.int64))
                        for i, layer in enumerate(spatial))
        x = torch.ones(1, 1, bound, 1, dtype=torch.float64, requires_grad=True)
        out = x
        for layer in spatial:
            kernel = torch.ones(1, 1, _kernel(layer), 1, dtype=torch.float64)
            out = F.conv2d(out, kernel, stride=(_stride(layer), 1))
        out[0, 0, 0, 0].backward()
        rows = torch.nonzero(x.grad[0, 0, :, 0])
        return int(rows.max() - rows.min() + 1)


def _until_flatten(layers: Sequence[Layer]) -> list[Layer]:
    kinds = [layer[0] for layer in layers]
    return list(layers[: kinds.index("flatten")] if "flatten" in kinds else layers)


def _kernel(layer: Layer) -> int:
    return int(layer[2] if layer[0] == "conv" else layer[1])


def _stride(layer: Layer) -> int:
    return int(layer[3] if layer[0] == "conv" else layer[2])


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _module(input_shape: Shape, layer: Layer) -> torch.nn.Module:
    """The torch layer a layer tuple stands for, given the shape it receives."""
    kind = layer[0]
    if kind == "conv":
        _, out_channels, kernel, stride, pad = layer
        return torch.nn.Conv2d(input_shape[0], out_channels, kernel, stride, pad, device="meta")
    if kind in ("maxpool", "avgpool"):
        pool = torch.nn.MaxPool2d if kind == "maxpool" else torch.nn.AvgPool2d
        return pool(layer[1], layer[2])
    if kind == "linear":
        return torch.nn.Linear(input_shape[-1], layer[1], device="meta")
    if kind in ("relu", "dropout"):
        return torch.nn.Identity()
    if kind == "flatten":
        return torch.nn.Flatten()
    raise ValueError(f"unknown layer type {kind!r}")
