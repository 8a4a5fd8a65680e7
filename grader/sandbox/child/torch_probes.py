"""Grader code that runs inside the sandbox child for the PyTorch assignments, next to the student's code.

A probe builds the student's network or calls their training functions and
returns only data (shapes, numbers, numpy arrays of weights and logits): the
grader never unpickles or ``torch.load``s anything a student produced. Loaded
by the child by file path after ``_grader_layer_table`` (and, for ``train``
only, ``_grader_lenet_model``: the lenet assignment must not find the grader's
network in its process); imports torch and numpy only. Each probe takes the
student's namespace first.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

import _grader_layer_table as layers  # the child loads grader/oracles/layer_table.py under this name first

MEAN, STD = 0.1307, 0.3081


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


def lenet_summary(namespace: dict[str, Any], kwargs: dict[str, int], x: np.ndarray) -> dict[str, Any]:
    """Parameter count and shapes (in order), the layer table, and the output for ``x``."""
    model = build(namespace, kwargs)
    return {
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "shapes": [tuple(int(d) for d in p.shape) for p in model.parameters()],
        "table": layers.layer_table(model, torch.from_numpy(x)),
        "logits": logits(model, x),
    }


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


def pick_device(namespace: dict[str, Any]) -> dict[str, Any]:
    """What the student's pick_device() returned, and whether CUDA is available here."""
    device = namespace["pick_device"]()
    return {"type": type(device).__name__, "device": str(device), "cuda_available": torch.cuda.is_available()}


def loader(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, shuffle: bool) -> Any:
    """A DataLoader of normalized float32 (B, 1, 28, 28) images and int64 labels."""
    x = torch.from_numpy(((images.astype(np.float32) / 255 - MEAN) / STD)[:, None])
    dataset = torch.utils.data.TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def train_fit(namespace: dict[str, Any], images: np.ndarray, labels: np.ndarray, epochs: int, batch_size: int,
              seed: int, device_name: str) -> dict[str, Any]:
    """Train the specified LeNet-5 with the student's fit; return the losses, weights and where it ran."""
    import _grader_lenet_model as lenet_model  # loaded for the train assignment only

    torch.manual_seed(seed)
    model = lenet_model.LeNet5Variant()
    device = torch.device(device_name)
    seen_devices: set[str] = set()
    model.register_forward_pre_hook(lambda module, args: seen_devices.add(str(args[0].device)))
    started = time.monotonic()
    losses = namespace["fit"](model, loader(images, labels, batch_size, seed, shuffle=True), device, epochs)
    seconds = time.monotonic() - started
    peak = torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0
    if isinstance(losses, (list, tuple)):
        losses = [float(v) if isinstance(v, (int, float, torch.Tensor, np.floating)) else repr(v)[:50] for v in losses]
    weights = [p.detach().cpu().numpy().astype(np.float32) for p in model.parameters()]
    return {"losses": losses, "weights": weights, "seconds": seconds, "input_devices": sorted(seen_devices),
            "cuda_peak_bytes": int(peak)}


def train_evaluate(namespace: dict[str, Any], weights: list[np.ndarray], images: np.ndarray, labels: np.ndarray,
                   device_name: str) -> Any:
    """The student's evaluate() on a model with the given weights, as a plain float when it is one."""
    import _grader_lenet_model as lenet_model  # loaded for the train assignment only

    model = lenet_model.LeNet5Variant()
    problem = lenet_model.load_parameters(model, weights)
    if problem:
        raise ValueError(problem)
    result = namespace["evaluate"](model, loader(images, labels, 256, 0, shuffle=False), torch.device(device_name))
    return float(result) if isinstance(result, (float, int, np.floating, torch.Tensor)) else repr(result)[:80]
