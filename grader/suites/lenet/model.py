"""The grader's own LeNet-5 as the course specifies it, plus the variants students build by mistake.

The official grade computes the logits of ``LeNet5Variant()`` (the specification) under weights it draws in
secret and compares a student's network with them; when it differs, the variants (tanh, average pooling, no
padding, ...) name what differs. It is the answer to the lenet assignment, so it stays with the instructor: the
student release leaves it out (``suite.withheld``) and checks against what ``publish.py`` recorded from it, and no
sandbox child ever loads it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "none": lambda t: t}
POOLS = {"max": F.max_pool2d, "avg": F.avg_pool2d}


class LeNet5Variant(nn.Module):
    """LeNet-5 on (N, C, 28, 28); the defaults are the specification (ReLU, max pooling, padding 2)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, activation: str = "relu", pooling: str = "max",
                 padding: int = 2, softmax_output: bool = False) -> None:
        super().__init__()
        self.activation, self.pool, self.softmax_output = ACTIVATIONS[activation], POOLS[pooling], softmax_output
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=padding)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((28 + 2 * padding - 4) // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.activation(self.conv1(x)), 2)
        x = self.pool(self.activation(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = self.activation(self.fc1(x))
        x = self.activation(self.fc2(x))
        x = self.fc3(x)
        return torch.softmax(x, dim=1) if self.softmax_output else x


MISTAKES = {
    "tanh activations instead of ReLU": {"activation": "tanh"},
    "sigmoid activations instead of ReLU": {"activation": "sigmoid"},
    "no activation between layers": {"activation": "none"},
    "average pooling instead of max pooling": {"pooling": "avg"},
    "tanh activations and average pooling (the 1998 LeNet) instead of ReLU and max pooling": {"activation": "tanh",
                                                                                              "pooling": "avg"},
    "a softmax on the output: return logits, the loss applies softmax itself": {"softmax_output": True},
}
