"""Networks from layer lists, and weights the grader draws for them: what a child may hold of LeNet-5.

``network(layers)`` builds a network of PyTorch's own layers from a layer list in the params assignment's vocabulary
(``('conv', out_channels, kernel, stride, pad)``, ``('maxpool', size, stride)``, ``('relu',)``, ``('flatten',)``,
``('linear', out_features)``, ...); the list arrives as data, so no function here is a network of its own. The
``train`` check trains ``network(LENET)`` in the sandbox child, which loads this file by path: it imports only torch
and numpy. The grader's own LeNet-5 and its variants (``model.py``) stay with the instructor.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

LAYERS = {
    "conv": lambda out, kernel, stride, pad: nn.LazyConv2d(out, kernel, stride, pad),
    "maxpool": lambda size, stride: nn.MaxPool2d(size, stride),
    "avgpool": lambda size, stride: nn.AvgPool2d(size, stride),
    "relu": lambda: nn.ReLU(),
    "flatten": lambda: nn.Flatten(),
    "linear": lambda out: nn.LazyLinear(out),
    "dropout": lambda p: nn.Dropout(p),
}


def network(layers: Sequence[Sequence[Any]], input_shape: Sequence[int] = (1, 28, 28)) -> nn.Sequential:
    """The layers as a network of PyTorch's own modules, its parameters made (and initialised, as PyTorch does) for
    inputs of ``input_shape`` (C, H, W)."""
    model = nn.Sequential(*(LAYERS[kind](*arguments) for kind, *arguments in layers))
    with torch.no_grad():
        model(torch.zeros((1, *input_shape)))
    return model


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


def draw_weights(shapes: Sequence[Sequence[int]], entropy: Sequence[int]) -> list[np.ndarray]:
    """float32 weights of these shapes (a network's parameters, in order), drawn from ``entropy`` as PyTorch
    initialises its layers: uniform within 1/sqrt(fan-in) of 0, a bias taking the fan-in of the weight before it."""
    rng = np.random.default_rng(list(entropy))
    weights, fan_in = [], 1
    for shape in shapes:
        fan_in = math.prod(shape[1:]) if len(shape) > 1 else fan_in
        bound = 1 / math.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, tuple(shape)).astype(np.float32))
    return weights
