"""Assignment `lenet`: LeNet-5 as a PyTorch module.

Run `python lenet.py` to check your model's output shape and parameter count,
and `grader check lenet` for the full checks.
"""

# %% [markdown]
# # LeNet-5 in PyTorch
#
# LeNet-5 (LeCun, Bottou, Bengio and Haffner, *Gradient-based learning applied
# to document recognition*, 1998) is the convolutional network that read the
# digits on cheques. It is small by today's standards, about sixty thousand
# parameters, and it already has the shape of every CNN since: convolutions
# and pooling that turn an image into a stack of small feature maps, then fully
# connected layers that turn those features into class scores.
#
# In this assignment you write it as a `torch.nn.Module`. You no longer write
# forward and backward passes by hand: PyTorch's layers compute the forward
# pass, and autograd derives the backward pass from it.

# %% [markdown]
# ## The architecture from the lecture
#
# The layers are named as in the paper: `C` for a convolution, `S` for a
# subsampling (pooling) layer, `F` for a fully connected layer.
#
# | layer | what it does | output shape |
# | --- | --- | --- |
# | input | one grey-scale image | `1 x 28 x 28` (the paper: `1 x 32 x 32`) |
# | C1 | 6 filters of 5x5, padding 2, then ReLU | `6 x 28 x 28` |
# | S2 | 2x2 max pooling, stride 2 | `6 x 14 x 14` |
# | C3 | 16 filters of 5x5 (over all 6 channels), then ReLU | `16 x 10 x 10` |
# | S4 | 2x2 max pooling, stride 2 | `16 x 5 x 5` |
# | flatten | the `16 x 5 x 5` maps as one vector | `400` |
# | C5 | fully connected 400 to 120, then ReLU | `120` |
# | F6 | fully connected 120 to 84, then ReLU | `84` |
# | output | fully connected 84 to 10: one score (*logit*) per digit | `10` |
#
# C5 is a convolution in the paper: 120 filters of 5x5 over S4's `5 x 5`
# maps. A 5x5 filter on a 5x5 map has exactly one position, so each of its
# outputs sees the whole input: it *is* a fully connected layer on the 400
# flattened values, and that is how we write it.
#
# Two changes from 1998. The paper used the `tanh` nonlinearity (a scaled
# one) and *average* pooling with a learned scale and bias; we use ReLU and max
# pooling, which train faster and are what LeNet-5 means in modern courses and
# frameworks. The paper's C3 also connected each of its 16 maps to only some of
# S2's 6 maps (to save computation and break symmetry); ours sees all 6, as a
# plain convolution does. And the paper's output layer computed distances to
# fixed prototypes (RBF units); ours is a linear layer whose logits go into a
# cross-entropy loss.
#
# The output layer has **no ReLU and no softmax**: the model returns raw
# logits. `torch.nn.functional.cross_entropy` applies the (log-)softmax itself,
# and a ReLU there would clip every negative score to 0.

# %% [markdown]
# ## Why padding 2
#
# LeNet-5 was designed for `32 x 32` inputs. Its digits were at most 20x20
# pixels, centred in a 28x28 field (the field MNIST keeps), and the paper
# extended that field to 32x32 on purpose: a stroke ending near the edge of
# the digit should still fall near the centre of the receptive field of the
# top feature detectors, not at its border. Padding a `28 x 28` MNIST image
# with 2 zeros on every side does the same: C1 sees a `32 x 32` input and
# gives the paper's `28 x 28` maps:
#
#     C1 output side = (28 + 2*2 - 5) + 1 = 28,   the same as (32 - 5) + 1
#
# From there on every shape is the paper's: 14, 10, 5, and `16 * 5 * 5 = 400`
# values into C5. Without the padding C1 would give `24 x 24` maps and
# the flattened vector would hold `16 * 4 * 4 = 256` values, a different model.

# %% [markdown]
# ## Counting the parameters
#
# A convolution with `F` filters of `k x k` over `C` channels learns
# `F * C * k * k` weights and `F` biases; a linear layer from `n` to `m`
# learns `n * m` weights and `m` biases; pooling, ReLU and flatten learn
# nothing.
#
# | layer | arithmetic | parameters |
# | --- | --- | ---: |
# | C1 (`conv1`) | `6 * 1 * 5 * 5 + 6` | 156 |
# | S2 | pooling | 0 |
# | C3 (`conv2`) | `16 * 6 * 5 * 5 + 16` | 2,416 |
# | S4 | pooling | 0 |
# | C5 (`fc1`) | `400 * 120 + 120` | 48,120 |
# | F6 (`fc2`) | `120 * 84 + 84` | 10,164 |
# | output (`fc3`) | `84 * 10 + 10` | 850 |
# | **total** | | **61,706** |
#
# Almost 80 % of the parameters sit in C5, the first fully connected layer; the
# two convolutions together hold 4 %. That is typical: convolutions share
# their few weights across every position of the image, fully connected layers
# do not.

# %% [markdown]
# ## What to write
#
# `LeNet5(num_classes=10, in_channels=1)` takes a batch of shape
# `(N, in_channels, 28, 28)` and returns logits of shape `(N, num_classes)`.
# Create the layers in `__init__` as attributes, **in this order and with these
# names**: `conv1`, `conv2` (`torch.nn.Conv2d`), `fc1`, `fc2`, `fc3`
# (`torch.nn.Linear`). The grader reads and sets the weights by these names.
# The layers without parameters (ReLU, max pooling, flatten) are simplest as
# function calls in `forward`: `F.relu`, `F.max_pool2d`, `torch.flatten(x, 1)`
# (flatten everything but the batch axis).

# %%
import torch
import torch.nn.functional as F
from torch import nn


# %%
class LeNet5(nn.Module):
    """LeNet-5 with ReLU and max pooling: (N, in_channels, 28, 28) images to (N, num_classes) logits."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        raise NotImplementedError("LeNet5.__init__: write your solution here")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) for a batch x of shape (N, in_channels, 28, 28)."""
        raise NotImplementedError("LeNet5.forward: write your solution here")


# %% [check]
if __name__ == "__main__":
    model = LeNet5()
    logits = model(torch.zeros(2, 1, 28, 28))
    print("output shape:", tuple(logits.shape))
    assert logits.shape == (2, 10), f"expected (2, 10) logits for a batch of 2, got {tuple(logits.shape)}"
    print("LeNet5: output shape OK")

# %% [check]
if __name__ == "__main__":
    for name, parameter in LeNet5().named_parameters():
        print(f"{name:<14} {str(tuple(parameter.shape)):<16} {parameter.numel():>7,}")
    total = sum(parameter.numel() for parameter in LeNet5().parameters())
    print(f"total: {total:,} parameters")
    assert total == 61_706, f"expected 61,706 parameters, got {total:,}"
    print("LeNet5: parameter count OK")
