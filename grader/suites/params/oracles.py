"""The params assignment's oracles: parameter counts, shapes, multiplications and receptive fields measured on
PyTorch layers (built on the meta device: no memory, no arithmetic), and an adapter of ``reference/params.py``."""

from __future__ import annotations

import math
from typing import Sequence

from grader.oracles.lazy_torch import F, LazyModule, torch
from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle

flop_counter = LazyModule("torch.utils.flop_counter")
Layer = tuple  # ('conv', out_channels, kernel, stride, pad), ('maxpool', size, stride), ('linear', out), ...
Shape = tuple[int, ...]


class ParamsTorch(TorchOracle):
    """The params API's arithmetic, read off the torch layers each layer tuple stands for."""

    def conv2d_param_count(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                           bias: bool = True) -> int:
        return _count(torch.nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, device="meta"))

    def linear_param_count(self, in_features: int, out_features: int, bias: bool = True) -> int:
        return _count(torch.nn.Linear(in_features, out_features, bias=bias, device="meta"))

    def layer_output_shape(self, input_shape: Shape, layer: Layer) -> Shape:
        spatial = layer[0] in ("conv", "maxpool", "avgpool", "flatten")
        if len(input_shape) != (3 if spatial else 1) and layer[0] not in ("relu", "dropout"):
            raise ValueError(f"layer {layer} does not take an input of shape {input_shape}")
        module = _module(input_shape, layer)
        try:
            out = module(torch.zeros((1, *input_shape), device="meta"))
        except RuntimeError as error:
            raise ValueError(f"layer {layer} does not fit input {input_shape}: {error}") from None
        return tuple(int(d) for d in out.shape[1:])

    def model_param_count(self, input_shape: Shape, layers: Sequence[Layer]) -> int:
        return torch_count(input_shape, layers)

    def conv_multiplications(self, input_shape: Shape, layer: Layer) -> int:
        """Measured: half the floating-point operations PyTorch's FLOP counter books for the convolution (one
        multiply and one add per weight per output position; the bias is not counted)."""
        if layer[0] != "conv":
            raise ValueError(f"layer {layer} is not a convolution")
        module = _module(input_shape, layer)
        self.layer_output_shape(input_shape, layer)  # a ValueError when it does not fit
        with flop_counter.FlopCounterMode(display=False) as counter:
            module(torch.zeros((1, *input_shape), device="meta"))
        return int(counter.get_total_flops()) // 2

    def receptive_field(self, layers: Sequence[Layer]) -> int:
        """Measured: the input extent that reaches one output unit's gradient (pools as averages, no padding)."""
        spatial = [layer for layer in _until_flatten(layers) if layer[0] in ("conv", "maxpool", "avgpool")]
        bound = 1 + sum(_kernel(layer) for layer in spatial) * math.prod(_stride(layer) for layer in spatial)
        x = torch.ones(1, 1, bound, 1, dtype=torch.float64, requires_grad=True)
        out = x
        for layer in spatial:
            kernel = torch.ones(1, 1, _kernel(layer), 1, dtype=torch.float64)
            out = F.conv2d(out, kernel, stride=(_stride(layer), 1))
        out[0, 0, 0, 0].backward()
        rows = torch.nonzero(x.grad[0, 0, :, 0])
        return int(rows.max() - rows.min() + 1)


def torch_count(input_shape: Shape, layers: Sequence[Layer], bias: bool = True, round_up: bool = False) -> int:
    """The parameters of the layers as PyTorch's own modules, lazy and on the meta device (PyTorch infers what each
    receives: no memory, no arithmetic); without biases, or with every window's output size rounded up (as if the
    input had stride - 1 more zeros after it), for the catalogue's mistakes. ValueError when a layer does not fit."""
    modules: list[torch.nn.Module] = []
    for layer in layers:
        if round_up and layer[0] in ("conv", "maxpool", "avgpool"):
            modules.append(torch.nn.ZeroPad2d((0, _stride(layer) - 1, 0, _stride(layer) - 1)))
        modules.append(_lazy(layer, bias))
    model = torch.nn.Sequential(*modules)
    try:
        model(torch.zeros((1, *input_shape), device="meta"))
    except RuntimeError as error:
        raise ValueError(f"layers {list(layers)} do not fit input {tuple(input_shape)}: {error}") from None
    return _count(model)


def _lazy(layer: Layer, bias: bool) -> torch.nn.Module:
    """The torch layer a layer tuple stands for, its input size left for PyTorch to infer."""
    if layer[0] == "conv":
        _, out_channels, kernel, stride, pad = layer
        return torch.nn.LazyConv2d(out_channels, kernel, stride, pad, bias=bias, device="meta")
    if layer[0] == "linear":
        return torch.nn.LazyLinear(layer[1], bias=bias, device="meta")
    return _module((), layer)


def _until_flatten(layers: Sequence[Layer]) -> list[Layer]:
    kinds = [layer[0] for layer in layers]
    return list(layers[: kinds.index("flatten")] if "flatten" in kinds else layers)


def _kernel(layer: Layer) -> int:
    return int(layer[2] if layer[0] == "conv" else layer[1])


def _stride(layer: Layer) -> int:
    return int(layer[3] if layer[0] == "conv" else layer[2])


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _module(input_shape: Shape, layer: Layer) -> torch.nn.Module:
    """The torch layer a layer tuple stands for, given the shape it receives."""
    kind = layer[0]
    if kind == "conv":
        _, out_channels, kernel, stride, pad = layer
        return torch.nn.Conv2d(input_shape[0], out_channels, kernel, stride, pad, device="meta")
    if kind in ("maxpool", "avgpool"):
        pool = torch.nn.MaxPool2d if kind == "maxpool" else torch.nn.AvgPool2d
        return pool(layer[1], layer[2])
    if kind == "linear":
        return torch.nn.Linear(input_shape[-1], layer[1], device="meta")
    if kind in ("relu", "dropout"):
        return torch.nn.Identity()
    if kind == "flatten":
        return torch.nn.Flatten()
    raise ValueError(f"unknown layer type {kind!r}")


class ParamsReference(ReferenceOracle, ParamsTorch):
    """reference/params.py: all of its arithmetic."""

    uses_torch = False  # every method is the reference's: an instructor's params check never imports torch

    def conv2d_param_count(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                           bias: bool = True) -> int:
        return self.module.conv2d_param_count(in_channels, out_channels, kernel_size, bias=bias)

    def linear_param_count(self, in_features: int, out_features: int, bias: bool = True) -> int:
        return self.module.linear_param_count(in_features, out_features, bias=bias)

    def layer_output_shape(self, input_shape: Shape, layer: Layer) -> Shape:
        return tuple(self.module.layer_output_shape(input_shape, layer))

    def model_param_count(self, input_shape: Shape, layers: Sequence[Layer]) -> int:
        return self.module.model_param_count(input_shape, layers)

    def receptive_field(self, layers: Sequence[Layer]) -> int:
        return self.module.receptive_field(layers)

    def conv_multiplications(self, input_shape: Shape, layer: Layer) -> int:
        return self.module.conv_multiplications(input_shape, layer)
