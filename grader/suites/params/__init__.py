"""The `params` assignment: parameter counts, layer output shapes and receptive fields.

A shape is (C, H, W) before 'flatten' and (features,) after it. A layer is a
tuple: ('conv', out_channels, kernel, stride, pad), ('maxpool', size, stride),
('avgpool', size, stride), ('relu',), ('flatten',), ('linear', out_features),
('dropout', p). Output sizes round down, as for convolutions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from hypothesis import strategies as st

from grader.suites.agreement import Agreement, same_method, same_value
from grader.suites.framework import Context, Oracles, Suite, numpy_only
from grader.suites.params.oracles import Layer, ParamsReference, ParamsTorch, torch_count

suite = Suite(
    "params",
    functions=("conv2d_param_count", "linear_param_count", "layer_output_shape", "model_param_count",
               "receptive_field", "conv_multiplications"),
    policy=numpy_only("params"),
    oracles=Oracles(pytorch=ParamsTorch, reference=ParamsReference),
)

LENET = (("conv", 6, 5, 1, 2), ("relu",), ("maxpool", 2, 2), ("conv", 16, 5, 1, 0), ("relu",), ("maxpool", 2, 2),
         ("flatten",), ("linear", 120), ("relu",), ("linear", 84), ("relu",), ("linear", 10))
KERAS_MNIST = (("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2, 2), ("conv", 64, 3, 1, 1), ("relu",),
               ("maxpool", 2, 2), ("flatten",), ("linear", 64), ("relu",), ("linear", 10))
CIFAR = (("conv", 16, 2, 1, 1), ("relu",), ("maxpool", 2, 2), ("conv", 32, 2, 1, 1), ("relu",), ("maxpool", 2, 2),
         ("conv", 64, 2, 1, 1), ("relu",), ("maxpool", 2, 2), ("dropout", 0.3), ("flatten",), ("linear", 500),
         ("relu",), ("dropout", 0.4), ("linear", 10))
MLP = (("flatten",), ("linear", 512), ("relu",), ("linear", 512), ("relu",), ("linear", 10))
# The lecture's big networks on (3, 224, 224): AlexNet as torchvision lays it out, VGG-16 (configuration D).
ALEXNET = (("conv", 64, 11, 4, 2), ("relu",), ("maxpool", 3, 2), ("conv", 192, 5, 1, 2), ("relu",), ("maxpool", 3, 2),
           ("conv", 384, 3, 1, 1), ("relu",), ("conv", 256, 3, 1, 1), ("relu",), ("conv", 256, 3, 1, 1), ("relu",),
           ("maxpool", 3, 2), ("flatten",), ("dropout", 0.5), ("linear", 4096), ("relu",), ("dropout", 0.5),
           ("linear", 4096), ("relu",), ("linear", 1000))
VGG16 = tuple(layer for channels, count in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
              for layer in (("conv", channels, 3, 1, 1), ("relu",)) * count + (("maxpool", 2, 2),)) + (
    ("flatten",), ("linear", 4096), ("relu",), ("dropout", 0.5), ("linear", 4096), ("relu",), ("dropout", 0.5),
    ("linear", 1000))
# Inception's 5x5 convolution on 28x28x192, directly and after a 1x1 bottleneck to 16 channels.
INCEPTION = ((192, 28, 28), ("conv", 32, 5, 1, 2), "a 5x5 convolution to 32 channels on 28x28x192"), (
    (192, 28, 28), ("conv", 16, 1, 1, 0), "the 1x1 bottleneck to 16 channels on 28x28x192"), (
    (16, 28, 28), ("conv", 32, 5, 1, 2), "the 5x5 convolution to 32 channels after the bottleneck")


@dataclass(frozen=True)
class ParamsCase:
    """Arguments to one params function, described for messages."""

    args: tuple
    text: str

    def describe(self) -> str:
        return self.text

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {}


@functools.cache
def shapes() -> ParamsTorch:
    """Output shapes, for building valid stacks: the reference's arithmetic where it is installed (an instructor's
    check then never imports torch), else PyTorch's; never the student's function, which is what is graded."""
    from grader.oracles import oracle_for

    return oracle_for(suite)


@st.composite
def spatial_layer(draw: st.DrawFn, shape: tuple[int, int, int]) -> Layer:
    """A conv, pool, relu or dropout layer that fits ``shape``."""
    c, h, w = shape
    kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "relu", "dropout"]))
    if kind == "conv":
        kernel = draw(st.integers(1, min(h, w) + 2))
        pad = draw(st.integers(max(0, (kernel - min(h, w) + 1) // 2), kernel - 1 if kernel > 1 else 1))
        return ("conv", draw(st.integers(1, 16)), kernel, draw(st.integers(1, 3)), pad)
    if kind in ("maxpool", "avgpool"):
        return (kind, draw(st.integers(1, min(h, w, 3))), draw(st.integers(1, 3)))
    return ("relu",) if kind == "relu" else ("dropout", draw(st.sampled_from([0.25, 0.5])))


@st.composite
def input_shapes(draw: st.DrawFn) -> tuple[int, int, int]:
    return draw(st.integers(1, 4)), draw(st.integers(1, 20)), draw(st.integers(1, 20))


@st.composite
def models(draw: st.DrawFn) -> tuple[tuple[int, int, int], tuple[Layer, ...]]:
    """An input shape and a valid stack: spatial layers, then optionally flatten and linear layers."""
    shape = first = draw(input_shapes())
    layers: list[Layer] = []
    for _ in range(draw(st.integers(1, 4))):
        layers.append(draw(spatial_layer(shape)))
        shape = shapes().layer_output_shape(shape, layers[-1])
    if draw(st.booleans()):
        layers.append(("flatten",))
        for _ in range(draw(st.integers(0, 2))):
            layers.append(("linear", draw(st.integers(1, 32))))
            if draw(st.booleans()):
                layers.append(("relu",))
    return first, tuple(layers)


@st.composite
def layer_cases(draw: st.DrawFn) -> ParamsCase:
    """(input_shape, layer) for every layer type, the layer fitting its input."""
    if draw(st.booleans()):
        shape = (draw(st.integers(1, 300)),)
        layer = draw(st.sampled_from([("linear", draw(st.integers(1, 50))), ("relu",), ("dropout", 0.5)]))
    else:
        shape = draw(input_shapes())
        layer = draw(st.one_of(spatial_layer(shape), st.just(("flatten",))))
    return ParamsCase((shape, layer), f"input_shape={shape}, layer={layer}")


@st.composite
def convolutions(draw: st.DrawFn) -> ParamsCase:
    """(input_shape, conv layer), the layer fitting its input: any channels, kernel, stride and padding."""
    shape = draw(input_shapes())
    layer = draw(spatial_layer(shape).filter(lambda layer: layer[0] == "conv"))
    return ParamsCase((shape, layer), f"input_shape={shape}, layer={layer}")


@st.composite
def misfits(draw: st.DrawFn) -> ParamsCase:
    """(input_shape, layer) where a conv or pooling window is larger than the (padded) input."""
    shape = draw(input_shapes())
    smallest = min(shape[1:])
    if draw(st.booleans()):
        pad = draw(st.integers(0, 2))
        layer = ("conv", draw(st.integers(1, 8)), smallest + 2 * pad + draw(st.integers(1, 3)), 1, pad)
    else:
        layer = (draw(st.sampled_from(["maxpool", "avgpool"])), smallest + draw(st.integers(1, 3)), 1)
    return ParamsCase((shape, layer), f"input_shape={shape}, layer={layer}")


def kernels() -> st.SearchStrategy:
    return st.one_of(st.integers(1, 7), st.tuples(st.integers(1, 7), st.integers(1, 7)))


@st.composite
def conv_counts(draw: st.DrawFn, bias: bool) -> ParamsCase:
    args = (draw(st.integers(1, 512)), draw(st.integers(1, 512)), draw(kernels()), bias)
    return ParamsCase(args, f"in_channels={args[0]}, out_channels={args[1]}, kernel_size={args[2]}, bias={bias}")


@st.composite
def linear_counts(draw: st.DrawFn) -> ParamsCase:
    args = (draw(st.integers(1, 5000)), draw(st.integers(1, 5000)), draw(st.booleans()))
    return ParamsCase(args, f"in_features={args[0]}, out_features={args[1]}, bias={args[2]}")


def model_case(shape: tuple[int, ...], layers: tuple[Layer, ...], name: str = "") -> ParamsCase:
    return ParamsCase((shape, layers), name or f"input_shape={shape}, layers={list(layers)}")


@st.composite
def receptive_stacks(draw: st.DrawFn) -> ParamsCase:
    """Stacks of convolutions and pools with any kernels and strides (no input needed)."""
    shape, layers = draw(models())
    return ParamsCase((layers,), f"layers={list(layers)}")


@suite.check("conv2d_param_count is (kernel_h * kernel_w * in_channels + 1) * out_channels with a bias",
             points=1, functions=["conv2d_param_count"], cases=conv_counts(bias=True),
             examples=[ParamsCase((3, 10, 5, True), "ten 5x5x3 filters"), ParamsCase((3, 10, 3, True), "ten 3x3x3 filters")])
def conv_count_with_bias(ctx: Context, case: ParamsCase) -> None:
    inputs, outputs, kernel, bias = case.args
    got = ctx.call("conv2d_param_count", inputs, outputs, kernel, bias=bias)
    ctx.expect_value("conv2d_param_count", got, ctx.oracle.conv2d_param_count(inputs, outputs, kernel, bias), case)


@suite.check("conv2d_param_count with bias=False counts the weights only", points=1,
             functions=["conv2d_param_count"], cases=conv_counts(bias=False))
def conv_count_without_bias(ctx: Context, case: ParamsCase) -> None:
    conv_count_with_bias(ctx, case)


@suite.check("linear_param_count is (in_features + 1) * out_features, or without the + 1 when bias=False",
             points=1, functions=["linear_param_count"], cases=linear_counts(),
             examples=[ParamsCase((784, 512, True), "784 -> 512"), ParamsCase((400, 120, False), "400 -> 120, no bias")])
def linear_count(ctx: Context, case: ParamsCase) -> None:
    inputs, outputs, bias = case.args
    got = ctx.call("linear_param_count", inputs, outputs, bias=bias)
    ctx.expect_value("linear_param_count", got, ctx.oracle.linear_param_count(inputs, outputs, bias), case)


@suite.check("layer_output_shape gives each layer's output shape, rounding down", points=2,
             functions=["layer_output_shape"], cases=layer_cases(),
             examples=[ParamsCase(((3, 32, 32), ("conv", 8, 5, 1, 2)), "same padding"),
                       ParamsCase(((1, 7, 7), ("conv", 1, 3, 3, 0)), "a 3x3 kernel at stride 3 on 7x7"),
                       ParamsCase(((16, 5, 5), ("flatten",)), "flatten 16x5x5")])
def layer_shape(ctx: Context, case: ParamsCase) -> None:
    shape, layer = case.args
    got = ctx.call("layer_output_shape", shape, layer)
    ctx.expect_value("layer_output_shape", got, ctx.oracle.layer_output_shape(shape, layer), case)


@suite.check("layer_output_shape raises ValueError when a kernel or pool window does not fit its input",
             points=1, functions=["layer_output_shape"], cases=misfits())
def layer_shape_rejects_misfits(ctx: Context, case: ParamsCase) -> None:
    (channels, *sides), layer = case.args
    fits = max(1, layer[2] - 2 * layer[4]) if layer[0] == "conv" else layer[1]
    # graded where the function returns for an input the layer fits: raising on everything earns nothing here
    ctx.given(lambda: ctx.call("layer_output_shape", (channels, *(max(side, fits) for side in sides)), layer))
    ctx.expect_raises("layer_output_shape", "ValueError", case, *case.args)


@suite.check("model_param_count reproduces the lecture's models (LeNet-5: 61,706; Keras MNIST CNN: 220,234; "
             "CIFAR-10 CNN: 528,054; MLP 784-512-512-10: 669,706)", points=1, functions=["model_param_count"],
             cases=st.sampled_from([model_case((1, 28, 28), LENET, "LeNet-5 on (1, 28, 28)"),
                                    model_case((1, 28, 28), KERAS_MNIST, "the Keras MNIST CNN on (1, 28, 28)"),
                                    model_case((3, 32, 32), CIFAR, "the CIFAR-10 CNN on (3, 32, 32)"),
                                    model_case((1, 28, 28), MLP, "the MLP 784-512-512-10")]))
def lecture_models(ctx: Context, case: ParamsCase) -> None:
    model_count(ctx, case)


@suite.check("model_param_count counts the lecture's big networks exactly (AlexNet: 61,100,840; VGG-16: "
             "138,357,544)", points=1, functions=["model_param_count"],
             cases=st.sampled_from([model_case((3, 224, 224), ALEXNET, "AlexNet on (3, 224, 224)"),
                                    model_case((3, 224, 224), VGG16, "VGG-16 on (3, 224, 224)")]))
def big_models(ctx: Context, case: ParamsCase) -> None:
    model_count(ctx, case)


@suite.check("model_param_count adds up every layer's parameters through a stack of layers", points=2,
             functions=["model_param_count"], cases=models().map(lambda m: model_case(*m)))
def model_count(ctx: Context, case: ParamsCase) -> None:
    shape, layers = case.args
    got = ctx.call("model_param_count", shape, list(layers))
    ctx.expect_value("model_param_count", got, ctx.oracle.model_param_count(shape, layers), case)


@suite.check("receptive_field grows by (kernel - 1) times the product of the earlier strides", points=2,
             functions=["receptive_field"], cases=receptive_stacks(),
             examples=[ParamsCase(([("conv", 8, 3, 1, 1)] * 3,), "three stacked 3x3 convolutions"),
                       ParamsCase(([("conv", 8, 3, 2, 1), ("maxpool", 2, 2), ("conv", 8, 3, 1, 1)],),
                                  "a stride-2 conv, a 2x2 pool, a 3x3 conv")])
def receptive(ctx: Context, case: ParamsCase) -> None:
    (layers,) = case.args
    got = ctx.call("receptive_field", list(layers))
    ctx.expect_value("receptive_field", got, ctx.oracle.receptive_field(layers), case)


@suite.check("conv_multiplications reproduces Inception's 1x1 bottleneck: about 120 million multiplications "
             "for the 5x5 convolution, about 12.4 million with the bottleneck first", points=1,
             functions=["conv_multiplications"],
             cases=st.sampled_from([ParamsCase((shape, layer), text) for shape, layer, text in INCEPTION]))
def inception_multiplications(ctx: Context, case: ParamsCase) -> None:
    multiplications(ctx, case)


@suite.check("conv_multiplications is H_out * W_out * out_channels * kernel * kernel * C_in, for any stride and "
             "padding", points=1, functions=["conv_multiplications"], cases=convolutions())
def multiplications(ctx: Context, case: ParamsCase) -> None:
    got = ctx.call("conv_multiplications", *case.args)
    ctx.expect_value("conv_multiplications", got, ctx.oracle.conv_multiplications(*case.args), case)


# Classic mistakes: when a check fails, the grader names the first one whose output the student's matches.

def _rounded_up(oracle, shape: tuple, layer: Layer) -> tuple:
    """The output shape with the sizes rounded up (ceil) instead of down."""
    correct = oracle.layer_output_shape(shape, layer)
    if layer[0] not in ("conv", "maxpool", "avgpool"):
        return correct
    kernel, stride, pad = (layer[2], layer[3], layer[4]) if layer[0] == "conv" else (layer[1], layer[2], 0)
    return (correct[0],) + tuple(1 + -(-(n + 2 * pad - kernel) // stride) for n in shape[1:])


def _without_strides(layers: list) -> int:
    """The receptive field if every stride were 1: one plus the sum of (kernel - 1) up to the flatten."""
    kinds = [layer[0] for layer in layers]
    spatial = layers[: kinds.index("flatten")] if "flatten" in kinds else layers
    return 1 + sum((layer[2] if layer[0] == "conv" else layer[1]) - 1 for layer in spatial
                   if layer[0] in ("conv", "maxpool", "avgpool"))


suite.mistake(
    "missing biases", "Your count leaves out the biases: each output channel (or unit) has one bias, so a "
    "convolution has (k*k*C_in + 1) * C_out parameters.", ["conv2d_param_count", "linear_param_count",
                                                          "model_param_count"],
    conv2d_param_count=lambda o, i, out, k, bias=True: o.conv2d_param_count(i, out, k, False),
    linear_param_count=lambda o, i, out, bias=True: o.linear_param_count(i, out, False),
    model_param_count=lambda o, shape, layers: torch_count(shape, layers, bias=False))
suite.mistake(
    "shapes rounded up", "Your sizes round up: a window that hangs over the edge is dropped, so sizes round "
    "down, 1 + (n + 2*pad - k) // stride.", ["layer_output_shape", "model_param_count", "conv_multiplications"],
    layer_output_shape=_rounded_up,
    model_param_count=lambda o, shape, layers: torch_count(shape, layers, round_up=True),
    conv_multiplications=lambda o, shape, layer: (int(np.prod(_rounded_up(o, shape, layer))) * layer[2] ** 2
                                                  * shape[0]))
suite.mistake(
    "multiplications counting the bias", "Your count multiplies the bias too: each output value is a dot "
    "product of k*k*C_in weights with the input, then the bias is added, so H_out * W_out * C_out * k*k*C_in.",
    ["conv_multiplications"],
    conv_multiplications=lambda o, shape, layer: (o.conv_multiplications(shape, layer)
                                                  + int(np.prod(o.layer_output_shape(shape, layer)))))
suite.mistake(
    "multiplications without input channels", "Your count leaves out the input channels: a filter spans all "
    "C_in channels, so each output value takes k*k*C_in multiplications.", ["conv_multiplications"],
    conv_multiplications=lambda o, shape, layer: o.conv_multiplications(shape, layer) // shape[0])
suite.mistake(
    "receptive field ignoring strides", "Your receptive field adds k - 1 per layer: after a stride-s layer, "
    "each further step covers s times as many input pixels, so add (k - 1) times the product of the earlier "
    "strides.", ["receptive_field"], receptive_field=lambda o, layers: _without_strides(list(layers)))


def as_student(oracle: Any) -> dict[str, Any]:
    """The student API computed by an oracle: how a mistake of the catalogue behaves as a submission."""
    return {name: getattr(oracle, name) for name in suite.functions}


def _models_agree(reference: Any, pytorch: Any, model: tuple) -> None:
    shape, layers = model
    same_value("model_param_count", reference.model_param_count(shape, layers),
               pytorch.model_param_count(shape, layers))
    same_value("receptive_field", reference.receptive_field(layers), pytorch.receptive_field(layers))


suite.agreements += [Agreement("model_param_count, receptive_field", models(), _models_agree),
                     Agreement("layer_output_shape", layer_cases(), same_method("layer_output_shape", array=False)),
                     Agreement("receptive_field", receptive_stacks(), same_method("receptive_field", array=False)),
                     Agreement("conv_multiplications", convolutions(),
                               same_method("conv_multiplications", array=False))]
