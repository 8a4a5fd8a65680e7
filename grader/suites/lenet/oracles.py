"""The lenet assignment's oracles: the specified LeNet-5 (model.py), or the one ``reference/lenet.py`` builds."""

from __future__ import annotations

import torch

from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle
from grader.suites.lenet.model import LeNet5Variant


class LenetTorch(TorchOracle):
    """The specification as a PyTorch module, to load a student's weights into."""

    def lenet(self, num_classes: int = 10, in_channels: int = 1) -> torch.nn.Module:
        return LeNet5Variant(num_classes, in_channels)


class LenetReference(ReferenceOracle, LenetTorch):
    """reference/lenet.py: the network itself."""

    def lenet(self, num_classes: int = 10, in_channels: int = 1) -> torch.nn.Module:
        return self.module.LeNet5(num_classes=num_classes, in_channels=in_channels)
