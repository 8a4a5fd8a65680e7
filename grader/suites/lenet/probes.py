"""Grader code that runs inside the sandbox child for the lenet assignment, next to the student's code.

A probe builds the student's network and returns only data (shapes, numbers,
numpy arrays of logits): the grader never unpickles or ``torch.load``s anything
a student produced. Loaded by the child by file path after
``_grader_layer_table`` (layer_table.py, beside this file); the grader's own
LeNet-5 is never loaded here (a submission could hand it in as its own).
Imports torch and numpy only. Each probe takes the student's namespace first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import _grader_layer_table as layers  # the child loads layer_table.py under this name first


def build(namespace: dict[str, Any], kwargs: dict[str, int], seed: int = 0) -> torch.nn.Module:
    """The student's LeNet5(**kwargs), seeded; a TypeError if it is not a torch.nn.Module."""
    torch.manual_seed(seed)
    model = namespace["LeNet5"](**kwargs)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"LeNet5(...) returned a {type(model).__name__}, not a torch.nn.Module")
    return model


def logits(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"forward returned a {type(out).__name__}, not a torch.Tensor")
    return out.detach().cpu().numpy()


def lenet_parameters(namespace: dict[str, Any], kwargs: dict[str, int]) -> dict[str, Any]:
    """Parameter count and shapes (in order), without a forward pass: a network whose forward fails still has them."""
    model = build(namespace, kwargs)
    return {"parameters": int(sum(p.numel() for p in model.parameters())),
            "shapes": [tuple(int(d) for d in p.shape) for p in model.parameters()]}


def lenet_layers(namespace: dict[str, Any], kwargs: dict[str, int], x: np.ndarray) -> list[dict[str, Any]]:
    """The layer table for ``x``, up to the layer where the forward pass fails, if it does."""
    return layers.layer_table(build(namespace, kwargs), torch.from_numpy(x))


def lenet_logits(namespace: dict[str, Any], kwargs: dict[str, int], x: np.ndarray) -> np.ndarray:
    """The output for ``x`` of the student's LeNet5(**kwargs), seeded."""
    return logits(build(namespace, kwargs), x)


def lenet_with_weights(namespace: dict[str, Any], kwargs: dict[str, int], weights: list[np.ndarray],
                       x: np.ndarray) -> np.ndarray:
    """The logits for ``x`` of the student's LeNet5(**kwargs) once the grader's weights are copied into its
    parameters, in order; a ValueError names the first parameter that does not fit."""
    model = build(namespace, kwargs)
    parameters = list(model.parameters())
    if len(parameters) != len(weights):
        raise ValueError(f"your network has {len(parameters)} parameter tensors; LeNet-5 has {len(weights)}")
    with torch.no_grad():
        for index, (parameter, array) in enumerate(zip(parameters, weights)):
            if tuple(parameter.shape) != tuple(array.shape):
                raise ValueError(f"your parameter tensor {index + 1} has shape {tuple(parameter.shape)}; LeNet-5's "
                                 f"has {tuple(array.shape)}")
            parameter.copy_(torch.from_numpy(array))
    return logits(model, x).astype(np.float32)


def lenet_gradients(namespace: dict[str, Any], kwargs: dict[str, int], x: np.ndarray, y: np.ndarray) -> list[bool]:
    """For each parameter, whether a cross-entropy loss's backward pass gave it a nonzero gradient."""
    model = build(namespace, kwargs)
    model.train()
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    return [bool(p.grad is not None and p.grad.abs().sum() > 0) for p in model.parameters()]
