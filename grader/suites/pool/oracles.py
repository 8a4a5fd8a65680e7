"""The pool assignment's oracles: PyTorch's ``max_pool2d``/``avg_pool2d`` and autograd, and an adapter of
``reference/pool.py``."""

from __future__ import annotations

import numpy as np

from grader.oracles.lazy_torch import F
from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle, array, backpropagate, tensor


class PoolTorch(TorchOracle):
    """Max and average pooling and their gradients, computed with PyTorch."""

    def max_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return array(F.max_pool2d(tensor(x), (ph, pw), stride), x)

    def avg_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return array(F.avg_pool2d(tensor(x), (ph, pw), stride), x)

    def max_pool_gradient(self, x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray) -> np.ndarray:
        tx = tensor(x, True)
        backpropagate(F.max_pool2d(tx, (ph, pw), stride), dout)
        return array(tx.grad, x)

    def avg_pool_gradient(self, x: np.ndarray, ph: int, pw: int, stride: int, dout: np.ndarray) -> np.ndarray:
        tx = tensor(x, True)
        backpropagate(F.avg_pool2d(tx, (ph, pw), stride), dout)
        return array(tx.grad, x)


class PoolReference(ReferenceOracle, PoolTorch):
    """reference/pool.py: the forward passes; gradients from autograd."""

    def max_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return self.module.max_pool_forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})[0]

    def avg_pool_forward(self, x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
        return self.module.avg_pool_forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})[0]
