# Attack: no layers at all, only zero parameters of LeNet-5's shapes (so every count and shape check is satisfied)
# and a forward that returns zeros of the right shape.
import torch
from torch import nn

SHAPES = [(6, None, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (None, 84), (None,)]


class LeNet5(nn.Module):
    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.num_classes = num_classes
        shapes = [tuple(in_channels if d is None and i == 1 else num_classes if d is None else d
                        for i, d in enumerate(shape)) for shape in SHAPES]
        self.weights = nn.ParameterList([nn.Parameter(torch.zeros(shape)) for shape in shapes])

    def forward(self, x):
        return x.flatten(1)[:, :1] * 0 + self.weights[-1].sum() * 0 + torch.zeros(x.shape[0], self.num_classes)
