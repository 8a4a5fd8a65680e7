"""A Keras-style summary of any torch network: one row per layer with its output shape and parameter count.

The grader builds the expected table from its own LeNet-5; the sandbox child loads this file by path (it
imports only torch) to build the student's, so the report can show the two side by side.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn


def layer_table(model: nn.Module, example: torch.Tensor) -> list[dict[str, Any]]:
    """One row per layer with parameters or a shape change, like Keras' model.summary(): type, output, count; where
    the forward pass fails (a student's network), the rows of the layers before the failure."""
    rows: list[dict[str, Any]] = []

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor):
            rows.append({"layer": type(module).__name__, "output_shape": list(output.shape[1:]),
                         "parameters": sum(p.numel() for p in module.parameters(recurse=False))})

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(record) for m in leaves]
    try:
        with torch.no_grad(), contextlib.suppress(Exception):  # the checks that run the forward pass report it
            model(example)
    finally:
        for hook in hooks:
            hook.remove()
    return rows
