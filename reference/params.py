"""Assignment `params`: parameter counts, output shapes and receptive fields of CNN layers, by arithmetic alone.

Run `python params.py` to check your functions on the lecture's worked examples,
and `grader check params` for the full checks.
"""

# %% [markdown]
# # Counting parameters, shapes and receptive fields
#
# Before training a network you should be able to say, from its description
# alone, how many numbers it learns, what shape each layer's output has, and
# how much of the image one output unit sees. In this assignment you compute
# all three by arithmetic; no arrays are needed.
#
# A model is described by an input shape and a list of layers. The input shape
# is `(C, H, W)` (channels, height, width; no batch axis). After `flatten` a
# shape is `(features,)`. Each layer is a tuple:
#
# | layer | meaning |
# | --- | --- |
# | `('conv', out_channels, kernel, stride, pad)` | `out_channels` filters of `kernel x kernel`, zero padding `pad` on every side |
# | `('maxpool', size, stride)` | max pooling over `size x size` windows |
# | `('avgpool', size, stride)` | average pooling over `size x size` windows |
# | `('relu',)` | elementwise `max(0, x)` |
# | `('flatten',)` | `(C, H, W)` becomes `(C*H*W,)` |
# | `('linear', out_features)` | fully connected (Keras: `Dense`) |
# | `('dropout', p)` | zeroes a fraction `p` of its inputs while training |
#
# (`stride` and `pad` of a convolution may be left out: they default to 1 and
# 0; a pooling layer's `stride` defaults to its `size`, as in PyTorch and Keras.)

# %%
import math

# %% [markdown]
# ## Parameter arithmetic
#
# A convolution filter spans all input channels: with a `k x k` kernel and
# `C_in` input channels it holds `k*k*C_in` weights, plus one bias. A layer of
# `C_out` filters therefore has
#
#     (k*k*C_in + 1) * C_out
#
# parameters, **whatever the size of the image**: the same filters slide over
# every position (weight sharing). Ten 5x5 filters on an RGB image (5x5x3):
# `(75 + 1) * 10 = 760`; ten 3x3x3 filters: `(27 + 1) * 10 = 280`.
#
# A fully connected layer from `n_in` to `n_out` features has a weight for every
# pair, plus a bias per output: `(n_in + 1) * n_out`.
#
# ReLU, pooling, flatten and dropout have **no** parameters.


# %%
def conv2d_param_count(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Number of parameters of a 2-D convolution layer, kernel_size an int or (kh, kw): (kh*kw*in_channels + bias) * out_channels."""
    # BEGIN SOLUTION
    kh, kw = _pair(kernel_size)
    return (kh * kw * in_channels + (1 if bias else 0)) * out_channels
    # END SOLUTION


# BEGIN SOLUTION
def _pair(kernel_size):
    """(kh, kw) from an int or a pair."""
    if isinstance(kernel_size, (tuple, list)):
        kh, kw = kernel_size
        return int(kh), int(kw)
    return int(kernel_size), int(kernel_size)
# END SOLUTION


# %%
def linear_param_count(in_features: int, out_features: int, bias: bool = True) -> int:
    """Number of parameters of a fully connected layer: (in_features + bias) * out_features."""
    # BEGIN SOLUTION
    return (in_features + (1 if bias else 0)) * out_features
    # END SOLUTION


# %% [check]
if __name__ == "__main__":
    import numpy as np  # np.testing says what differs when a worked example fails

    np.testing.assert_equal(conv2d_param_count(3, 10, 5), 760)  # ten 5x5x3 filters
    np.testing.assert_equal(conv2d_param_count(3, 10, 3), 280)  # ten 3x3x3 filters
    np.testing.assert_equal(conv2d_param_count(3, 10, (3, 3), bias=False), 270)
    np.testing.assert_equal(linear_param_count(784, 512), 401_920)
    print("parameter counts: worked examples OK")

# %% [markdown]
# ## Output shapes
#
# A convolution with `C_out` filters turns `(C, H, W)` into
# `(C_out, H_out, W_out)` with the output-size formula of the `conv`
# assignment, `H_out = (H + 2*pad - k) // stride + 1` (rounded down). A pooling
# layer keeps the channels and uses the same formula without padding. ReLU and
# dropout keep the shape; flatten multiplies it out; a linear layer needs a
# flat input and gives `(out_features,)`.
#
# Raise a `ValueError` with a clear message when a layer does not fit its input
# (a kernel or window larger than the padded input, a linear layer before
# flatten) or when the layer type is unknown.
#
# The shape tells you where the parameters are: the linear layer right after
# `flatten` sees `C*H*W` features, and usually holds most of the model's
# parameters.


# %%
def layer_output_shape(input_shape: tuple, layer: tuple) -> tuple:
    """Output shape of one layer for an input of shape (C, H, W), or (features,) after flatten; ValueError when the layer does not fit or is unknown."""
    # BEGIN SOLUTION
    kind = layer[0] if len(layer) else None
    shape = tuple(int(size) for size in input_shape)
    if kind in ("relu", "dropout"):
        if kind == "dropout" and len(layer) > 1 and not 0 <= layer[1] <= 1:
            raise ValueError(f"dropout probability must be between 0 and 1, got {layer[1]}")
        return shape
    if kind == "flatten":
        return (math.prod(shape),)
    if kind == "linear":
        if len(shape) != 1:
            raise ValueError(f"a linear layer needs a flat input (features,), got shape {shape}: add ('flatten',) first")
        if layer[1] < 1:
            raise ValueError(f"a linear layer needs at least 1 output feature, got {layer[1]}")
        return (int(layer[1]),)
    if kind in ("conv", "maxpool", "avgpool"):
        if len(shape) != 3:
            raise ValueError(f"a {kind} layer needs a (C, H, W) input, got shape {shape}")
        C, H, W = shape
        if kind == "conv":
            out_channels, kernel = int(layer[1]), layer[2]
            stride = int(layer[3]) if len(layer) > 3 else 1
            pad = int(layer[4]) if len(layer) > 4 else 0
            if out_channels < 1:
                raise ValueError(f"a conv layer needs at least 1 filter, got {out_channels}")
        else:
            out_channels, kernel = C, layer[1]
            stride = int(layer[2]) if len(layer) > 2 else int(layer[1])
            pad = 0
        kh, kw = _pair(kernel)
        return (out_channels, _output_size(H, kh, pad, stride, layer), _output_size(W, kw, pad, stride, layer))
    raise ValueError(
        f"unknown layer {layer!r}: the layer types are 'conv', 'maxpool', 'avgpool', 'relu', 'flatten', 'linear', 'dropout'"
    )
    # END SOLUTION


# BEGIN SOLUTION
def _output_size(n, k, pad, stride, layer):
    """1 + (n + 2*pad - k) // stride, or a ValueError naming the layer when it does not fit."""
    if k < 1 or stride < 1 or pad < 0:
        raise ValueError(f"{layer!r}: kernel and stride must be at least 1 and pad at least 0")
    if n + 2 * pad < k:
        raise ValueError(
            f"{layer!r} does not fit: its {k}-wide window is larger than the input ({n} + 2*{pad} = {n + 2 * pad})"
        )
    return 1 + (n + 2 * pad - k) // stride
# END SOLUTION


# %%
def model_param_count(input_shape: tuple, layers: list) -> int:
    """Total number of parameters of a sequence of layers applied to an input of shape (C, H, W); every conv and linear layer has a bias."""
    # BEGIN SOLUTION
    total, shape = 0, tuple(input_shape)
    for layer in layers:
        if layer[0] == "conv":
            total += conv2d_param_count(shape[0], layer[1], layer[2])
        elif layer[0] == "linear" and len(shape) == 1:
            total += linear_param_count(shape[0], layer[1])
        shape = layer_output_shape(shape, layer)  # also rejects layers that do not fit
    return total
    # END SOLUTION


# %% [check]
if __name__ == "__main__":
    keras_mnist = [("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2, 2),
                   ("conv", 64, 3, 1, 1), ("relu",), ("maxpool", 2, 2),
                   ("flatten",), ("linear", 64), ("relu",), ("linear", 10)]
    shape = (1, 28, 28)
    for layer in keras_mnist:
        shape = layer_output_shape(shape, layer)
        print(f"{str(layer):24} -> {shape}")
    np.testing.assert_equal(layer_output_shape((64, 7, 7), ("flatten",)), (3136,))
    np.testing.assert_equal(model_param_count((1, 28, 28), keras_mnist), 320 + 18_496 + 200_768 + 650)  # 220,234

    mlp = [("flatten",), ("linear", 512), ("relu",), ("dropout", 0.2),
           ("linear", 512), ("relu",), ("dropout", 0.2), ("linear", 10)]
    np.testing.assert_equal(model_param_count((1, 28, 28), mlp), 669_706)

    lenet5 = [("conv", 6, 5, 1, 2), ("relu",), ("maxpool", 2, 2),
              ("conv", 16, 5, 1, 0), ("relu",), ("maxpool", 2, 2),
              ("flatten",), ("linear", 120), ("relu",), ("linear", 84), ("relu",), ("linear", 10)]
    np.testing.assert_equal(model_param_count((1, 28, 28), lenet5), 61_706)
    print("model parameter counts: worked examples OK")

# %% [markdown]
# ### The CIFAR-10 model: 528,054 parameters
#
# The lecture's CIFAR-10 model (32x32 RGB images, 10 classes) is
#
#     Conv2D(16, 2, padding='same') + ReLU, MaxPooling2D(2),
#     Conv2D(32, 2, padding='same') + ReLU, MaxPooling2D(2),
#     Conv2D(64, 2, padding='same') + ReLU, MaxPooling2D(2), Dropout(0.3),
#     Flatten, Dense(500) + ReLU, Dropout(0.4), Dense(10)
#
# with `208 + 2,080 + 8,256 + 512,500 + 5,010 = 528,054` parameters: the dense
# layer after flatten (4x4x64 = 1,024 features) holds 97 % of them.
#
# Two details. Keras' `'same'` padding for an even kernel (2x2) pads 0 rows
# before and 1 after, which our symmetric `pad` cannot express. With `pad=1`
# the convolution gives 33x33 instead of 32x32, but the pooling after it rounds
# down to the same 16x16, so shapes and counts agree from there on. (With
# `pad=0` the model would have 304,054 parameters.) And do not confuse this
# model with the `cifar10_cnn.py` example that ships with Keras (32-32-64-64
# filters of 3x3, Dense(512)): that one has 1,250,858 parameters.

# %% [check]
if __name__ == "__main__":
    cifar = [("conv", 16, 2, 1, 1), ("relu",), ("maxpool", 2, 2),
             ("conv", 32, 2, 1, 1), ("relu",), ("maxpool", 2, 2),
             ("conv", 64, 2, 1, 1), ("relu",), ("maxpool", 2, 2), ("dropout", 0.3),
             ("flatten",), ("linear", 500), ("relu",), ("dropout", 0.4), ("linear", 10)]
    shape = (3, 32, 32)
    for layer in cifar:
        shape = layer_output_shape(shape, layer)
    np.testing.assert_equal(shape, (10,))
    np.testing.assert_equal(model_param_count((3, 32, 32), cifar), 208 + 2_080 + 8_256 + 512_500 + 5_010)  # 528,054
    try:
        layer_output_shape((1, 4, 4), ("conv", 8, 5, 1, 0))
    except ValueError as err:
        print(f"a 5x5 kernel on a 4x4 input raised ValueError: {err}")
    else:
        raise AssertionError("a 5x5 kernel on a 4x4 input should raise ValueError")
    print("CIFAR-10 model: 528,054 parameters OK")

# %% [markdown]
# ## The big networks: AlexNet and VGG-16
#
# The lecture quotes about 60 million parameters for AlexNet and 138 million
# for VGG-16. Written as layer lists (224x224 RGB images, 1,000 classes; AlexNet
# as PyTorch's torchvision lays it out, VGG-16 as the paper's configuration D),
# your `model_param_count` gives the exact figures: **61,100,840** and
# **138,357,544**. `summary` prints them layer by layer, as Keras'
# `model.summary()` does, using your functions: look where the parameters are.
# In both networks the first fully connected layer alone holds most of them
# (37.8 million of AlexNet's, 102.8 million of VGG-16's), while the
# convolutions, which do most of the computing, hold few.

# %%
ALEXNET = [("conv", 64, 11, 4, 2), ("relu",), ("maxpool", 3, 2),
           ("conv", 192, 5, 1, 2), ("relu",), ("maxpool", 3, 2),
           ("conv", 384, 3, 1, 1), ("relu",), ("conv", 256, 3, 1, 1), ("relu",),
           ("conv", 256, 3, 1, 1), ("relu",), ("maxpool", 3, 2),
           ("flatten",), ("dropout", 0.5), ("linear", 4096), ("relu",),
           ("dropout", 0.5), ("linear", 4096), ("relu",), ("linear", 1000)]


def vgg_block(channels: int, convolutions: int) -> list:
    """`convolutions` 3x3 convolutions with `channels` filters (padding 1 keeps the size), then 2x2 max pooling."""
    return [layer for _ in range(convolutions) for layer in (("conv", channels, 3, 1, 1), ("relu",))] + [("maxpool", 2, 2)]


VGG16 = (vgg_block(64, 2) + vgg_block(128, 2) + vgg_block(256, 3) + vgg_block(512, 3) + vgg_block(512, 3)
         + [("flatten",), ("linear", 4096), ("relu",), ("dropout", 0.5),
            ("linear", 4096), ("relu",), ("dropout", 0.5), ("linear", 1000)])


def summary(input_shape: tuple, layers: list) -> None:
    """Print each layer with its output shape and parameter count, then the total, like Keras' model.summary()."""
    shape, total = tuple(input_shape), 0
    print(f"{'layer':28} {'output shape':>18} {'parameters':>12}")
    for layer in layers:
        count = model_param_count(shape, [layer])
        shape, total = layer_output_shape(shape, layer), total + count
        print(f"{str(layer):28} {str(shape):>18} {count:>12,}")
    print(f"{'total':28} {'':>18} {total:>12,}")


# %% [check]
if __name__ == "__main__":
    summary((3, 224, 224), ALEXNET)
    np.testing.assert_equal(model_param_count((3, 224, 224), ALEXNET), 61_100_840)
    np.testing.assert_equal(layer_output_shape((3, 224, 224), ALEXNET[0]), (64, 55, 55))
    np.testing.assert_equal(model_param_count((3, 224, 224), VGG16), 138_357_544)
    print("AlexNet: 61,100,840 and VGG-16: 138,357,544 parameters OK")

# %% [markdown]
# ## Counting multiplications: Inception's 1x1 bottleneck
#
# Parameters say how much a layer stores; multiplications say how much it
# computes. A convolution does one multiplication per weight per output
# position: an output of `H_out x W_out x C_out`, each value a dot product of
# `k*k*C_in` numbers, takes
#
#     H_out * W_out * C_out * k * k * C_in
#
# multiplications (the biases are added, not multiplied). Unlike the parameter
# count, this grows with the image.
#
# The lecture's example from Inception: on a 28x28x192 input, a 5x5 "same"
# convolution to 32 channels takes `28*28*32 * 5*5*192`, about **120 million**
# multiplications. A 1x1 convolution down to 16 channels first (the
# *bottleneck*) takes `28*28*16 * 192`, about 2.4 million, and the 5x5
# convolution on its 16 channels `28*28*32 * 5*5*16`, about 10.0 million: about
# **12.4 million** in all, ten times fewer, for the same output shape.


# %%
def conv_multiplications(input_shape: tuple, layer: tuple) -> int:
    """Multiplications a ('conv', out_channels, kernel, stride, pad) layer does on one input of shape (C, H, W): H_out * W_out * out_channels * kernel * kernel * C."""
    # BEGIN SOLUTION
    channels = input_shape[0]
    out_channels, height, width = layer_output_shape(input_shape, layer)
    kernel_height, kernel_width = _pair(layer[2])
    return height * width * out_channels * kernel_height * kernel_width * channels
    # END SOLUTION


# %% [check]
if __name__ == "__main__":
    direct = conv_multiplications((192, 28, 28), ("conv", 32, 5, 1, 2))
    bottleneck = conv_multiplications((192, 28, 28), ("conv", 16, 1, 1, 0))
    then_5x5 = conv_multiplications((16, 28, 28), ("conv", 32, 5, 1, 2))
    print(f"5x5 conv directly: {direct:,}; with a 1x1 bottleneck first: {bottleneck:,} + {then_5x5:,} "
          f"= {bottleneck + then_5x5:,}")
    np.testing.assert_equal(direct, 120_422_400)
    np.testing.assert_equal(bottleneck + then_5x5, 12_443_648)
    print("conv_multiplications: the Inception bottleneck figures OK")

# %% [markdown]
# ## Receptive fields
#
# The *receptive field* of a unit is the part of the input image that can
# influence it. A unit of a 3x3 convolution sees 3x3 pixels. A unit of a second
# 3x3 convolution on top sees 3x3 units of the first, which together cover 5x5
# pixels; a third gives 7x7. So three stacked 3x3 convolutions see as much as
# one 7x7 convolution, with fewer weights (`3 * 9 * C^2 = 27 C^2` instead of
# `49 C^2` for `C` channels in and out) and two more nonlinearities: the
# argument behind VGG's stacks of 3x3 layers.
#
# Strides make the field grow faster: after a layer of stride `s`, neighbouring
# units are `s` times further apart in the input. Keep a running side length
# `r` and a *jump* `j` (the distance in input pixels between neighbouring units
# of the current layer), both starting at 1. A convolution or pooling layer with
# kernel `k` and stride `s` does
#
#     r = r + (k - 1) * j
#     j = j * s
#
# ReLU and dropout change neither. Stop at `flatten`: after it, every unit sees
# everything. Padding does not change the size of the field (it only shifts it).
#
# `receptive_field(layers)` returns the side length `r`, in input pixels, of
# the receptive field of one output unit of the last convolution or pooling
# layer.


# %%
def receptive_field(layers: list) -> int:
    """Side length, in input pixels, of the receptive field of one unit of the last conv/pool layer (r += (k-1)*jump; jump *= stride), stopping at flatten."""
    # BEGIN SOLUTION
    size, jump = 1, 1
    for layer in layers:
        kind = layer[0]
        if kind in ("relu", "dropout"):
            continue
        if kind in ("flatten", "linear"):
            break
        if kind == "conv":
            kernel, stride = layer[2], int(layer[3]) if len(layer) > 3 else 1
        elif kind in ("maxpool", "avgpool"):
            kernel, stride = layer[1], int(layer[2]) if len(layer) > 2 else int(layer[1])
        else:
            raise ValueError(
                f"unknown layer {layer!r}: the layer types are 'conv', 'maxpool', 'avgpool', 'relu', 'flatten', 'linear', 'dropout'"
            )
        kh, kw = _pair(kernel)
        if kh != kw:
            raise ValueError(f"{layer!r}: receptive_field expects square kernels, got {kh}x{kw}")
        size += (kh - 1) * jump
        jump *= stride
    return size
    # END SOLUTION


# %% [check]
if __name__ == "__main__":
    three_3x3 = [("conv", 8, 3, 1, 1), ("relu",), ("conv", 8, 3, 1, 1), ("relu",), ("conv", 8, 3, 1, 1)]
    np.testing.assert_equal(receptive_field(three_3x3), 7)
    # conv 3x3 (r = 3), 2x2 pooling at stride 2 (r = 4, jump 2), conv 3x3 (r = 4 + 2*2 = 8)
    np.testing.assert_equal(receptive_field([("conv", 8, 3, 1, 1), ("maxpool", 2, 2), ("conv", 8, 3, 1, 1)]), 8)
    print("receptive_field: worked examples OK")
