"""LeNet-5 as the course specifies it, plus the variants students build by mistake.

The grader loads a student's weights into ``LeNet5Variant()`` (the
specification) to check their network computes the specified function; when
it does not, the variants (tanh, average pooling, no ReLU after fc1, a
log_softmax output, ...) name what differs. An assignment that trains the
specified network has the sandbox child load this file by path: it imports
only torch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "none": lambda t: t}
POOLS = {"max": F.max_pool2d, "avg": F.avg_pool2d}
OUTPUTS = {"logits": lambda t: t, "softmax": lambda t: torch.softmax(t, dim=1),
           "log_softmax": lambda t: F.log_softmax(t, dim=1), "relu": F.relu}


@dataclass(frozen=True)
class Design:
    """What a LeNet-5 variant computes: the activation after conv1 and conv2, whether fc1 and fc2 are followed by it
    too, the pooling, what the output passes through, conv1's padding and the input side its fc1 is sized for."""

    activation: str = "relu"
    after_fc1: bool = True
    after_fc2: bool = True
    pooling: str = "max"
    output: str = "logits"
    padding: int = 2
    built_for: int = 28


SPECIFIED = Design()


class LeNet5Variant(nn.Module):
    """LeNet-5 on (N, C, 28, 28); the default design is the specification (ReLU, max pooling, padding 2)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, design: Design = SPECIFIED) -> None:
        super().__init__()
        self.design = design
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=design.padding)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((design.built_for + 2 * design.padding - 4) // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        design = self.design
        activation, pool = ACTIVATIONS[design.activation], POOLS[design.pooling]
        x = pool(activation(self.conv1(x)), 2)
        x = pool(activation(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = activation(x) if design.after_fc1 else x
        x = self.fc2(x)
        x = activation(x) if design.after_fc2 else x
        return OUTPUTS[design.output](self.fc3(x))


def differences(design: Design) -> list[str]:
    """What a design differs in from the specification, each in a few words ("tanh activations")."""
    kind = "ReLU" if design.activation == "relu" else design.activation
    parts = [] if design.activation == "relu" else ["no activations" if kind == "none" else f"{kind} activations"]
    skipped = [layer for layer, on in (("fc1", design.after_fc1), ("fc2", design.after_fc2)) if not on]
    if skipped and kind != "none":
        parts.append(f"no {kind} after {' and '.join(skipped)}")
    if design.pooling == "avg":
        parts.append("average pooling")
    if design.output != "logits":
        parts.append(f"a {design.output.replace('relu', 'ReLU')} on the output")
    return parts


def described(design: Design) -> str:
    """A design's differences in one phrase: "tanh activations and average pooling"."""
    parts = differences(design)
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def variants() -> list[Design]:
    """Every design with the specified layer sizes that a student builds by mistake, those that differ least first:
    another activation, one left out after fc1 or fc2, average pooling, a softmax, log_softmax or ReLU output."""
    designs = [Design(activation, fc1, fc2, pooling, output)
               for activation, fc1, fc2, pooling, output in itertools.product(
                   ACTIVATIONS, (True, False), (True, False), POOLS, OUTPUTS)
               if activation != "none" or (fc1 and fc2)]
    return sorted((d for d in designs if d != SPECIFIED), key=lambda d: len(differences(d)))


def mistaken(**changes: Any) -> Design:
    """The specification with ``changes``."""
    return replace(SPECIFIED, **changes)


# The catalogue of network mistakes (the mutation test's), each named as the diagnosis describes it.
MISTAKES = {described(design): design for design in (
    mistaken(activation="tanh"), mistaken(activation="sigmoid"), mistaken(activation="none"),
    mistaken(pooling="avg"), mistaken(activation="tanh", pooling="avg"), mistaken(activation="sigmoid", pooling="avg"),
    mistaken(output="softmax"), mistaken(output="log_softmax"), mistaken(after_fc1=False, after_fc2=False),
    mistaken(after_fc1=False), mistaken(after_fc2=False),
)}
BUILT_FOR_32 = mistaken(padding=0, built_for=32)  # conv1 unpadded, fc1 sized for 32x32 input: fails on 28x28


def load_parameters(model: nn.Module, arrays: list[Any]) -> str:
    """Copy ``arrays`` into ``model``'s parameters in order; return why they do not fit, or ''."""
    named = list(model.named_parameters())
    parameters = [parameter for _, parameter in named]
    if len(arrays) != len(parameters):
        return f"your network has {len(arrays)} parameter tensors; LeNet-5 has {len(parameters)}"
    for index, (array, (name, parameter)) in enumerate(zip(arrays, named)):
        if tuple(array.shape) != tuple(parameter.shape):
            return (f"your parameter tensor {index + 1}, in LeNet-5's place of {name}, has shape "
                    f"{tuple(array.shape)}; {name} has shape {tuple(parameter.shape)}")
    with torch.no_grad():
        for array, parameter in zip(arrays, parameters):
            parameter.copy_(torch.as_tensor(array, dtype=parameter.dtype))
    return ""
