"""The reference `params` solution equals PyTorch: parameter counts of nn layers, shapes of a zeros tensor run through them, and receptive fields measured by autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from reference.params import (
    ALEXNET,
    VGG16,
    conv2d_param_count,
    conv_multiplications,
    layer_output_shape,
    linear_param_count,
    model_param_count,
    receptive_field,
)

SETTINGS = dict(derandomize=True, database=None, deadline=None)


def torch_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@settings(max_examples=100, **SETTINGS)
@given(
    in_channels=st.integers(1, 16),
    out_channels=st.integers(1, 16),
    kernel=st.one_of(st.integers(1, 7), st.tuples(st.integers(1, 7), st.integers(1, 7))),
    bias=st.booleans(),
)
def test_conv2d_param_count_equals_torch(in_channels, out_channels, kernel, bias):
    expected = torch_count(nn.Conv2d(in_channels, out_channels, kernel, bias=bias))
    assert conv2d_param_count(in_channels, out_channels, kernel, bias=bias) == expected
    if bias:
        assert conv2d_param_count(in_channels, out_channels, kernel) == expected


@settings(max_examples=100, **SETTINGS)
@given(in_features=st.integers(1, 600), out_features=st.integers(1, 600), bias=st.booleans())
def test_linear_param_count_equals_torch(in_features, out_features, bias):
    expected = torch_count(nn.Linear(in_features, out_features, bias=bias))
    assert linear_param_count(in_features, out_features, bias=bias) == expected
    if bias:
        assert linear_param_count(in_features, out_features) == expected


@st.composite
def models(draw, max_spatial=5, allow_dense=True):
    """An input shape and a list of layers that fit it, built layer by layer (every drawn kernel fits the current size)."""
    C = draw(st.integers(1, 3))
    H = draw(st.integers(1, 20))
    W = draw(st.integers(1, 20))
    layers, h, w = [], H, W
    for _ in range(draw(st.integers(0, max_spatial))):
        kind = draw(st.sampled_from(["conv", "maxpool", "avgpool", "relu", "dropout"]))
        if kind in ("relu", "dropout"):
            layers.append(("relu",) if kind == "relu" else ("dropout", draw(st.sampled_from([0.0, 0.25, 0.5]))))
            continue
        if kind == "conv":
            pad = draw(st.integers(0, 2))
            k = draw(st.integers(1, min(h, w) + 2 * pad))
            pad = min(pad, k - 1)  # padding up to kernel - 1
            k = min(k, min(h, w) + 2 * pad)
            stride = draw(st.integers(1, 3))
            layer = ("conv", draw(st.integers(1, 4)), k, stride, pad)
            if draw(st.booleans()) and stride == 1 and pad == 0:
                layer = layer[:3]  # stride and pad left to their defaults
        else:
            k = draw(st.integers(1, min(h, w)))
            stride = draw(st.integers(1, 3))
            pad = 0
            layer = (kind, k, stride)
            if draw(st.booleans()):
                layer, stride = (kind, k), k  # stride left to its default, the window size
        layers.append(layer)
        h = 1 + (h + 2 * pad - k) // stride
        w = 1 + (w + 2 * pad - k) // stride
    if allow_dense and draw(st.booleans()):
        layers.append(("flatten",))
        for _ in range(draw(st.integers(0, 3))):
            layers.append(draw(st.sampled_from([("linear", draw(st.integers(1, 8))), ("relu",), ("dropout", 0.5)])))
    return (C, H, W), layers


def torch_layer(layer, current: torch.Tensor) -> nn.Module:
    """The nn.Module for a layer tuple, sized for the tensor it will receive."""
    kind = layer[0]
    if kind == "conv":
        stride = layer[3] if len(layer) > 3 else 1
        pad = layer[4] if len(layer) > 4 else 0
        return nn.Conv2d(current.shape[1], layer[1], layer[2], stride=stride, padding=pad)
    if kind in ("maxpool", "avgpool"):
        stride = layer[2] if len(layer) > 2 else None  # torch's default stride is the window size
        return (nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(layer[1], stride=stride)
    if kind == "linear":
        return nn.Linear(current.shape[1], layer[1])
    return {"relu": nn.ReLU, "flatten": nn.Flatten, "dropout": lambda: nn.Dropout(layer[1])}[kind]()


EXAMPLE_MODELS = [
    ((1, 28, 28), [("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2, 2), ("conv", 64, 3, 1, 1), ("relu",),
                   ("maxpool", 2, 2), ("flatten",), ("linear", 64), ("relu",), ("linear", 10)]),
    ((3, 7, 7), [("conv", 2, 7, 1, 0), ("flatten",), ("linear", 3)]),  # kernel as large as the input
    ((2, 9, 8), [("conv", 2, 1, 4, 0), ("avgpool", 2, 3), ("maxpool", 1)]),  # strides larger than the kernel
    ((1, 5, 5), [("flatten",), ("linear", 4)]),
    ((1, 1, 1), []),
]


@settings(max_examples=100, **SETTINGS)
@example(model=EXAMPLE_MODELS[0])
@example(model=EXAMPLE_MODELS[1])
@example(model=EXAMPLE_MODELS[2])
@example(model=EXAMPLE_MODELS[3])
@example(model=EXAMPLE_MODELS[4])
@given(model=models())
def test_shapes_and_param_count_equal_torch(model):
    input_shape, layers = model
    current = torch.zeros((1,) + input_shape)
    shape, total = input_shape, 0
    with torch.no_grad():
        for layer in layers:
            module = torch_layer(layer, current).eval()
            total += torch_count(module)
            current = module(current)
            shape = layer_output_shape(shape, layer)
            assert type(shape) is tuple
            assert shape == tuple(current.shape[1:]), layer
    assert model_param_count(input_shape, layers) == total


def measured_receptive_field(layers) -> int:
    """Side length of the input region that one central unit of the last layer depends on, by autograd.

    Weights are ones and biases zeros, max pooling is measured as average pooling (same windows;
    a max of equal values would pass gradient to a single input), and the input is ones, so no
    gradient cancels or vanishes. The input is large enough for the unit's field to lie inside it.
    """
    spatial = [layer for layer in layers if layer[0] in ("conv", "maxpool", "avgpool")]
    jump, span = 1, 1
    for layer in spatial:  # a generous bound on field plus padding offsets, not the formula under test
        k = layer[2] if layer[0] == "conv" else layer[1]
        stride = (layer[3] if len(layer) > 3 else 1) if layer[0] == "conv" else (layer[2] if len(layer) > 2 else layer[1])
        pad = layer[4] if layer[0] == "conv" and len(layer) > 4 else 0
        span += (k + 2 * pad) * jump
        jump *= stride
    size = 2 * span + 2 * jump + 4
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    current = x
    for layer in layers:
        if layer[0] == "flatten":
            break
        if layer[0] == "maxpool":
            layer = ("avgpool",) + tuple(layer[1:])
        module = torch_layer(layer, current).double().eval()
        for name, p in module.named_parameters():
            nn.init.constant_(p, 1.0 if name == "weight" else 0.0)
        current = module(current)
    _, _, h, w = current.shape
    current[0, 0, h // 2, w // 2].backward()
    rows = np.nonzero(x.grad[0, 0].abs().sum(dim=1).numpy())[0]
    cols = np.nonzero(x.grad[0, 0].abs().sum(dim=0).numpy())[0]
    assert rows[0] > 0 and cols[0] > 0 and rows[-1] < size - 1 and cols[-1] < size - 1, "the field touches the border"
    assert rows[-1] - rows[0] == cols[-1] - cols[0]
    return int(rows[-1] - rows[0] + 1)


@settings(max_examples=80, **SETTINGS)
@example(model=((1, 1, 1), [("conv", 1, 3, 1, 1), ("conv", 1, 3, 1, 1), ("conv", 1, 3, 1, 1)]))
@example(model=((1, 1, 1), [("conv", 1, 1, 2, 0), ("conv", 1, 3, 1, 0)]))  # stride larger than the kernel: a field with holes
@example(model=((1, 1, 1), [("conv", 2, 3, 1, 1), ("relu",), ("maxpool", 2, 2), ("dropout", 0.5), ("conv", 2, 3, 2, 1)]))
@given(model=models(max_spatial=4))
def test_receptive_field_equals_autograd_measurement(model):
    _, layers = model
    assert receptive_field(layers) == measured_receptive_field(layers)


def test_receptive_field_worked_examples():
    three = [("conv", 8, 3, 1, 1), ("relu",), ("conv", 8, 3, 1, 1), ("relu",), ("conv", 8, 3, 1, 1)]
    assert receptive_field(three) == 7
    assert receptive_field(three + [("flatten",), ("linear", 10), ("conv", 8, 9, 1, 0)]) == 7  # stops at flatten
    assert receptive_field([]) == 1
    assert receptive_field([("relu",), ("dropout", 0.5)]) == 1


@pytest.mark.parametrize(
    "shape, layer",
    [
        ((1, 4, 4), ("conv", 8, 5, 1, 0)),  # kernel larger than the input
        ((1, 4, 4), ("conv", 8, 7, 1, 1)),  # larger than the padded input
        ((1, 4, 9), ("maxpool", 5, 1)),
        ((3, 2, 2), ("avgpool", 3)),
        ((3, 8, 8), ("linear", 10)),  # linear before flatten
        ((48,), ("conv", 4, 3, 1, 1)),  # conv after flatten
        ((3, 8, 8), ("batchnorm",)),  # unknown layer type
        ((3, 8, 8), ("conv", 4, 3, 0, 1)),  # stride 0
    ],
)
def test_layer_output_shape_rejects_layers_that_do_not_fit(shape, layer):
    with pytest.raises(ValueError):
        layer_output_shape(shape, layer)


def test_model_param_count_and_receptive_field_reject_unknown_layers():
    with pytest.raises(ValueError):
        model_param_count((1, 8, 8), [("conv", 4, 3, 1, 1), ("upsample", 2)])
    with pytest.raises(ValueError):
        receptive_field([("conv", 4, 3, 1, 1), ("upsample", 2)])


@settings(max_examples=60, **SETTINGS)
@given(channels=st.integers(1, 8), side=st.integers(5, 30), out_channels=st.integers(1, 8),
       kernel=st.integers(1, 5), stride=st.integers(1, 3), pad=st.integers(0, 2))
def test_conv_multiplications_equals_half_of_torchs_flop_count(channels, side, out_channels, kernel, stride, pad):
    from torch.utils.flop_counter import FlopCounterMode

    conv = nn.Conv2d(channels, out_channels, kernel, stride, pad)
    with FlopCounterMode(display=False) as counter:
        conv(torch.zeros(1, channels, side, side))
    layer = ("conv", out_channels, kernel, stride, pad)
    assert conv_multiplications((channels, side, side), layer) == counter.get_total_flops() // 2


def test_the_big_networks_have_the_lectures_parameter_counts():
    alexnet = nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))
    assert torch_count(alexnet) == model_param_count((3, 224, 224), ALEXNET) == 61_100_840
    assert model_param_count((3, 224, 224), VGG16) == 138_357_544
