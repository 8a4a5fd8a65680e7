# Attack: use torch, which the params assignment forbids, to count parameters (on the meta device, so
# nothing is allocated): plainly, through __import__ with a built name, and through importlib.
import importlib


def _count(torch, module):
    return int(sum(p.numel() for p in module.parameters()))


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    import torch
    return _count(torch, torch.nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, device="meta"))


def linear_param_count(in_features, out_features, bias=True):
    torch = __import__("to" + "rch")
    return _count(torch, torch.nn.Linear(in_features, out_features, bias=bias, device="meta"))


def receptive_field(layers):
    torch = importlib.import_module("".join(reversed("hcrot")))
    return int(torch.tensor(0).item())  # any use at all
