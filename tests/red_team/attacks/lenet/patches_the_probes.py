# Attack: build no network at all (LeNet5 is not even a torch module) and replace the grader's probes, which
# run next to the student's code, by forgeries that report what the grader expects: the specified parameter
# count, shapes and layer table, and logits computed with the grader's own LeNet-5.
import sys

import numpy as np
import torch

probes = sys.modules["_grader_lenet_probes"]
spec = sys.modules["_grader_lenet_model"]


class LeNet5:
    def __init__(self, num_classes=10, in_channels=1):
        pass


def _model(kwargs, seed=0):
    torch.manual_seed(seed)
    return spec.LeNet5Variant(**kwargs)


def _parameters(namespace, kwargs):
    model = _model(kwargs)
    return {"parameters": int(sum(p.numel() for p in model.parameters())),
            "shapes": [tuple(int(d) for d in p.shape) for p in model.parameters()]}


def _export(namespace, kwargs, seed, x):
    model = _model(kwargs, seed)
    return {"weights": [p.detach().numpy().astype(np.float32) for p in model.parameters()],
            "logits": probes.logits(model, x).astype(np.float32)}


probes.lenet_parameters = _parameters
probes.lenet_layers = lambda namespace, kwargs, x: sys.modules["_grader_layer_table"].layer_table(_model(kwargs),
                                                                                                 torch.from_numpy(x))
probes.lenet_logits = lambda namespace, kwargs, x: probes.logits(_model(kwargs), x)
probes.lenet_export = _export
probes.lenet_gradients = lambda namespace, kwargs, x, y: [True] * len(list(_model(kwargs).parameters()))
