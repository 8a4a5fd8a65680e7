"""The im2col assignment's oracles: conv's, plus the column matrix from PyTorch's ``unfold`` or from
``reference/im2col.py``."""

from __future__ import annotations

import numpy as np

from grader.oracles.lazy_torch import F
from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import array, tensor
from grader.suites.conv.oracles import ConvTorch


class Im2colTorch(ConvTorch):
    """conv's PyTorch oracle (the convolution ``conv_forward_im2col`` must compute) and the column matrix."""

    def im2col(self, x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
        """Every window as a column, rows ordered (c, i, j), columns (n, h, w): ``F.unfold``, batch side by side."""
        n, c, h, w = x.shape
        if stride < 1 or pad < 0 or h + 2 * pad < HH or w + 2 * pad < WW:
            raise ValueError(f"a {HH}x{WW} kernel does not fit an input of {h}x{w} with pad {pad}, stride {stride}")
        cols = F.unfold(tensor(x), (HH, WW), padding=pad, stride=stride)
        return array(cols.permute(1, 0, 2).reshape(c * HH * WW, -1), x)


class Im2colReference(ReferenceOracle, Im2colTorch):
    """reference/im2col.py: the column matrix; the convolution itself from PyTorch."""

    def im2col(self, x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
        return self.module.im2col(x, HH, WW, stride, pad)
