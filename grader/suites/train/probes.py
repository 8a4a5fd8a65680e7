"""Grader code that runs inside the sandbox child for the train assignment, next to the student's code.

The probes call the student's ``pick_device``, ``fit`` and ``evaluate`` on
LeNet-5 made of PyTorch's own layers from the layer list the grader sends
(lenet's network.py, loaded by the child by file path as ``_grader_lenet_network``
before this file) and return only data (losses, numpy arrays of weights, where it
ran): the grader never unpickles or ``torch.load``s anything a student produced.
Imports torch and numpy only. Each probe takes the student's namespace first.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

import numpy as np
import torch

import _grader_lenet_network as lenet_network  # the child loads grader/suites/lenet/network.py under this name first

MEAN, STD = 0.1307, 0.3081


def pick_device(namespace: dict[str, Any]) -> dict[str, Any]:
    """What the student's pick_device() returned, whether CUDA is available here, and what it returns with CUDA
    made to look present (so a CPU-only grader still sees whether it ever picks the GPU)."""
    picked = described(namespace["pick_device"]())
    with cuda_looks_present():
        picked["as_if_cuda"] = described(namespace["pick_device"]())
    return {**picked, "cuda_available": torch.cuda.is_available()}


def described(device: Any) -> dict[str, str]:
    """What ``pick_device`` returned, as data: its type's name and its text."""
    return {"type": type(device).__name__, "device": str(device)}


@contextlib.contextmanager
def cuda_looks_present() -> Iterator[None]:
    """torch.cuda.is_available() True and one device counted, for as long as the block runs."""
    saved = torch.cuda.is_available, torch.cuda.device_count
    torch.cuda.is_available, torch.cuda.device_count = (lambda: True), (lambda: 1)
    try:
        yield
    finally:
        torch.cuda.is_available, torch.cuda.device_count = saved


def loader(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, shuffle: bool) -> Any:
    """A DataLoader of normalized float32 (B, 1, 28, 28) images and int64 labels."""
    x = torch.from_numpy(((images.astype(np.float32) / 255 - MEAN) / STD)[:, None])
    dataset = torch.utils.data.TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def train_fit(namespace: dict[str, Any], layers: list, images: np.ndarray, labels: np.ndarray, epochs: int,
              batch_size: int, initial: list[np.ndarray], loader_seed: int, torch_seed: int,
              device_name: str) -> dict[str, Any]:
    """Train the network of ``layers`` (LeNet-5's), holding the grader's initial weights, with the student's fit;
    return the losses, weights and where it ran."""
    torch.manual_seed(torch_seed)
    model = lenet_network.network(layers)
    problem = lenet_network.load_parameters(model, initial)
    if problem:
        raise ValueError(problem)
    device = torch.device(device_name)
    seen_devices: set[str] = set()
    model.register_forward_pre_hook(lambda module, args: seen_devices.add(str(args[0].device)))
    started = time.monotonic()
    losses = namespace["fit"](model, loader(images, labels, batch_size, loader_seed, shuffle=True), device, epochs)
    seconds = time.monotonic() - started
    peak = torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0
    if isinstance(losses, (list, tuple)):
        losses = [float(v) if isinstance(v, (int, float, torch.Tensor, np.floating)) else repr(v)[:50] for v in losses]
    weights = [p.detach().cpu().numpy().astype(np.float32) for p in model.parameters()]
    return {"losses": losses, "weights": weights, "seconds": seconds, "input_devices": sorted(seen_devices),
            "cuda_peak_bytes": int(peak)}


def train_evaluate(namespace: dict[str, Any], layers: list, weights: list[np.ndarray], images: np.ndarray,
                   labels: np.ndarray, device_name: str) -> Any:
    """The student's evaluate() on the network of ``layers`` with the given weights, as a plain float when it is
    one."""
    model = lenet_network.network(layers)
    problem = lenet_network.load_parameters(model, weights)
    if problem:
        raise ValueError(problem)
    result = namespace["evaluate"](model, loader(images, labels, 256, 0, shuffle=False), torch.device(device_name))
    return float(result) if isinstance(result, (float, int, np.floating, torch.Tensor)) else repr(result)[:80]
