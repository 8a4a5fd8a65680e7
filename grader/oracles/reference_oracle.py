"""Expected values from the instructor's reference solution (``reference/``), for official grading.

Forward values and parameter arithmetic come from the reference; gradients
still come from PyTorch autograd (inherited), as DESIGN.md asks. Course CI
proves this oracle and the PyTorch one agree, so a student's local verdict
(PyTorch oracle) equals the official one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Sequence

import numpy as np
import torch

from grader.oracles.torch_oracle import Layer, Shape, TorchOracle


class ReferenceOracle(TorchOracle):
    """The student API's semantics, computed by the reference modules."""

    name = "reference"

    def __init__(self, conv: ModuleType, pool: ModuleType, params: ModuleType, lenet: ModuleType | None = None,
                 im2col: ModuleType | None = None) -> None:
        self.conv, self.pool, self.params, self.lenet_module, self.im2col_module = conv, pool, params, lenet, im2col

    def lenet(self, num_classes: int = 10, in_channels: int = 1) -> torch.nn.Module:
        if self.lenet_module is None:
            return super().lenet(num_classes, in_channels)
        return self.lenet_module.LeNet5(num_classes=num_classes, in_channels=in_channels)

    def conv_output_size(self, n: int, f: int, pad: int = 0, stride: int = 1) -> int:
        return self.conv.conv_output_size(n, f, pad=pad, stride=stride)

    def zero_pad(self, x: np.ndarray, pad: int) -> np.ndarray:
        return self.conv.zero_pad(x, pad)

    def conv_forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
        return self.conv.conv_forward(x, w, b, {"stride": stride, "pad": pad})[0]

    def im2col(self, x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
        if self.im2col_module is None:
            return super().im2col(x, HH, WW, stride, pad)
        return self.im2col_module.im2col(x, HH, WW, stride, pad)

    def max_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return self.pool.max_pool_forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})[0]

    def avg_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return self.pool.avg_pool_forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})[0]

    def conv2d_param_count(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                           bias: bool = True) -> int:
        return self.params.conv2d_param_count(in_channels, out_channels, kernel_size, bias=bias)

    def linear_param_count(self, in_features: int, out_features: int, bias: bool = True) -> int:
        return self.params.linear_param_count(in_features, out_features, bias=bias)

    def layer_output_shape(self, input_shape: Shape, layer: Layer) -> Shape:
        return tuple(self.params.layer_output_shape(input_shape, layer))

    def model_param_count(self, input_shape: Shape, layers: Sequence[Layer]) -> int:
        return self.params.model_param_count(input_shape, layers)

    def receptive_field(self, layers: Sequence[Layer]) -> int:
        return self.params.receptive_field(layers)
