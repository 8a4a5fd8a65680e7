"""The conv assignment's oracles: PyTorch's ``conv2d`` and autograd, and an adapter of ``reference/conv.py``."""

from __future__ import annotations

import numpy as np

from grader.oracles.lazy_torch import F, torch
from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle, array, backpropagate, tensor


class ConvTorch(TorchOracle):
    """Output sizes, zero padding, the forward pass and its gradients, computed with PyTorch."""

    def conv_output_size(self, n: int, f: int, pad: int = 0, stride: int = 1) -> int:
        if stride < 1 or pad < 0 or n + 2 * pad < f:
            raise ValueError(f"a {f}-wide kernel does not fit an input of {n} with pad {pad}, stride {stride}")
        return int(F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, f), stride=stride, padding=pad).shape[-1])

    def zero_pad(self, x: np.ndarray, pad: int) -> np.ndarray:
        return array(F.pad(tensor(x), (pad, pad, pad, pad)), x)

    def conv_forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
        return array(F.conv2d(tensor(x), tensor(w), tensor(b), stride=stride, padding=pad), x)

    def conv_gradients(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int,
                       dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """dx, dw, db of ``sum(conv(x, w, b) * dout)``, by autograd."""
        tx, tw, tb = tensor(x, True), tensor(w, True), tensor(b, True)
        backpropagate(F.conv2d(tx, tw, tb, stride=stride, padding=pad), dout)
        return array(tx.grad, x), array(tw.grad, w), array(tb.grad, b)


class ConvReference(ReferenceOracle, ConvTorch):
    """reference/conv.py: output sizes, zero padding and the forward pass; gradients from autograd."""

    def conv_output_size(self, n: int, f: int, pad: int = 0, stride: int = 1) -> int:
        return self.module.conv_output_size(n, f, pad=pad, stride=stride)

    def zero_pad(self, x: np.ndarray, pad: int) -> np.ndarray:
        return self.module.zero_pad(x, pad)

    def conv_forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
        return self.module.conv_forward(x, w, b, {"stride": stride, "pad": pad})[0]
