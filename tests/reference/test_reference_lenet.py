"""The reference `lenet` solution: LeNet-5's layers, shapes and parameter count, its gradients, and its forward pass
recomputed by hand (torch.nn.functional in float32, and the reference numpy conv and pool layers in float64)."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference.conv import conv_forward
from reference.lenet import LeNet5
from reference.pool import max_pool_forward

REFERENCE = Path(__file__).resolve().parents[2] / "reference"

# (name, shape) of every parameter, in the order the grader reads and sets them.
LAYOUT = [
    ("conv1.weight", (6, 1, 5, 5)), ("conv1.bias", (6,)),
    ("conv2.weight", (16, 6, 5, 5)), ("conv2.bias", (16,)),
    ("fc1.weight", (120, 400)), ("fc1.bias", (120,)),
    ("fc2.weight", (84, 120)), ("fc2.bias", (84,)),
    ("fc3.weight", (10, 84)), ("fc3.bias", (10,)),
]


def count(model: torch.nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def test_parameter_count_is_61706():
    assert count(LeNet5()) == 61_706


def test_parameter_count_per_layer_matches_the_table():
    model = LeNet5()
    per_layer = {name: count(module) for name, module in model.named_children()}
    assert per_layer == {"conv1": 156, "conv2": 2_416, "fc1": 48_120, "fc2": 10_164, "fc3": 850}


def test_parameter_names_shapes_and_order():
    assert [(name, tuple(p.shape)) for name, p in LeNet5().named_parameters()] == LAYOUT


def test_layers_are_the_named_attributes_in_order():
    children = list(LeNet5().named_children())
    assert [name for name, _ in children] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    conv1, conv2 = children[0][1], children[1][1]
    assert isinstance(conv1, torch.nn.Conv2d) and conv1.padding == (2, 2) and conv1.stride == (1, 1)
    assert isinstance(conv2, torch.nn.Conv2d) and conv2.padding == (0, 0) and conv2.stride == (1, 1)
    assert all(isinstance(module, torch.nn.Linear) for _, module in children[2:])


@pytest.mark.parametrize("batch", [1, 2, 5, 33])
def test_output_shape_and_dtype(batch):
    torch.manual_seed(batch)
    logits = LeNet5()(torch.randn(batch, 1, 28, 28))
    assert logits.shape == (batch, 10)
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()


def test_other_classes_and_channels():
    model = LeNet5(num_classes=7, in_channels=3)
    assert model(torch.randn(4, 3, 28, 28)).shape == (4, 7)
    shapes = dict((name, tuple(p.shape)) for name, p in model.named_parameters())
    assert shapes["conv1.weight"] == (6, 3, 5, 5)
    assert shapes["fc3.weight"] == (7, 84) and shapes["fc3.bias"] == (7,)
    assert count(model) == 61_706 + 6 * 2 * 25 - 3 * 85  # two more input channels, three fewer classes
    assert LeNet5(num_classes=7)(torch.randn(2, 1, 28, 28)).shape == (2, 7)
    assert LeNet5(in_channels=3)(torch.randn(2, 3, 28, 28)).shape == (2, 10)


def test_keyword_and_positional_arguments():
    assert LeNet5(5, 2)(torch.randn(1, 2, 28, 28)).shape == (1, 5)


def test_outputs_are_logits_not_probabilities():
    torch.manual_seed(0)
    logits = LeNet5()(torch.randn(16, 1, 28, 28))
    assert (logits < 0).any(), "no negative output: is there a ReLU or softmax after fc3?"
    assert not torch.allclose(logits.sum(dim=1), torch.ones(16)), "rows sum to 1: the model applies a softmax"


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = LeNet5()
    loss = F.cross_entropy(model(torch.randn(8, 1, 28, 28)), torch.arange(8) % 10)
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name} got no gradient"
        assert parameter.grad.shape == parameter.shape
        assert torch.isfinite(parameter.grad).all() and parameter.grad.abs().sum() > 0, f"{name}'s gradient is all zero"


def by_hand(x: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    """LeNet-5 written out with torch.nn.functional from a dict of its weights."""
    x = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=2)), kernel_size=2, stride=2)
    assert x.shape[1:] == (6, 14, 14)
    x = F.max_pool2d(F.relu(F.conv2d(x, p["conv2.weight"], p["conv2.bias"])), kernel_size=2, stride=2)
    assert x.shape[1:] == (16, 5, 5)
    x = x.reshape(len(x), 400)
    x = F.relu(x @ p["fc1.weight"].T + p["fc1.bias"])
    x = F.relu(x @ p["fc2.weight"].T + p["fc2.bias"])
    return x @ p["fc3.weight"].T + p["fc3.bias"]


@pytest.mark.parametrize("num_classes, in_channels", [(10, 1), (7, 3)])
def test_forward_equals_the_functional_computation(num_classes, in_channels):
    torch.manual_seed(1)
    model = LeNet5(num_classes, in_channels)
    with torch.no_grad():  # weights far from the default initialisation, so every layer matters
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.3)
    x = torch.randn(5, in_channels, 28, 28)
    params = {name: p.detach() for name, p in model.named_parameters()}
    with torch.no_grad():
        torch.testing.assert_close(model(x), by_hand(x, params), rtol=1e-4, atol=1e-4)


def test_forward_equals_the_numpy_reference_layers_in_float64():
    """The same network built from the course's own numpy conv and max-pool layers, in float64."""
    torch.manual_seed(2)
    model = LeNet5().double()
    x = torch.randn(3, 1, 28, 28, dtype=torch.float64)
    p = {name: t.detach().numpy() for name, t in model.named_parameters()}
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    h = max_pool_forward(np.maximum(conv_forward(x.numpy(), p["conv1.weight"], p["conv1.bias"], {"stride": 1, "pad": 2})[0], 0), pool)[0]
    h = max_pool_forward(np.maximum(conv_forward(h, p["conv2.weight"], p["conv2.bias"], {"stride": 1, "pad": 0})[0], 0), pool)[0]
    h = np.maximum(h.reshape(3, 400) @ p["fc1.weight"].T + p["fc1.bias"], 0)
    h = np.maximum(h @ p["fc2.weight"].T + p["fc2.bias"], 0)
    expected = h @ p["fc3.weight"].T + p["fc3.bias"]
    with torch.no_grad():
        np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_check_cells_pass(capsys):
    runpy.run_path(str(REFERENCE / "lenet.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "LeNet5: output shape OK" in out and "LeNet5: parameter count OK" in out


def test_imports_only_torch_and_numpy():
    """The reference runs in a sandbox that cannot import grader/: it may use torch and numpy only."""
    tree = ast.parse((REFERENCE / "lenet.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {module.split(".")[0] for module in modules} <= {"torch", "numpy"}, modules
