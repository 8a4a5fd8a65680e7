# Attack: build no network at all (LeNet5 is not even a torch module) and replace every grader probe, which runs
# next to the student's code, by a forgery that reports the facts of LeNet-5 as the assignment's text and the
# student release publish them: the parameter count and shapes of every configuration, the layer table, logits of
# the right shape, a gradient for every parameter. Each forgery prints FORGED <probe> when it is called, so a test
# can tell that the attack loaded and ran.
import sys

import numpy as np

probes = sys.modules["_grader_lenet_probes"]


class LeNet5:
    def __init__(self, num_classes=10, in_channels=1):
        pass


def _shapes(kwargs):
    """LeNet-5's parameter shapes, in order, as the assignment's text spells them out."""
    classes, channels = kwargs.get("num_classes", 10), kwargs.get("in_channels", 1)
    return [(6, channels, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,),
            (classes, 84), (classes,)]


def _forged(name, reply):
    def forgery(namespace, kwargs, *args):
        print(f"FORGED {name}")
        return reply(kwargs, *args)
    return forgery


def _table(kwargs, x):
    classes = kwargs.get("num_classes", 10)
    rows = [("Conv2d", [6, 28, 28]), ("ReLU", [6, 28, 28]), ("MaxPool2d", [6, 14, 14]), ("Conv2d", [16, 10, 10]),
            ("ReLU", [16, 10, 10]), ("MaxPool2d", [16, 5, 5]), ("Flatten", [400]), ("Linear", [120]),
            ("ReLU", [120]), ("Linear", [84]), ("ReLU", [84]), ("Linear", [classes])]
    counts = iter(int(np.prod(w)) + b[0] for w, b in zip(_shapes(kwargs)[::2], _shapes(kwargs)[1::2]))
    return [{"layer": layer, "output_shape": shape, "parameters": next(counts) if layer in ("Conv2d", "Linear")
             else 0} for layer, shape in rows]


probes.lenet_parameters = _forged("lenet_parameters", lambda kwargs: {
    "parameters": sum(int(np.prod(shape)) for shape in _shapes(kwargs)), "shapes": _shapes(kwargs)})
probes.lenet_layers = _forged("lenet_layers", _table)
probes.lenet_logits = _forged("lenet_logits", lambda kwargs, x: np.zeros(
    (x.shape[0], kwargs.get("num_classes", 10)), dtype=np.float32))
probes.lenet_with_weights = _forged("lenet_with_weights", lambda kwargs, weights, x: (
    x.reshape(x.shape[0], -1)[:, :weights[-1].shape[0]] + weights[-1]).astype(np.float32))
probes.lenet_gradients = _forged("lenet_gradients", lambda kwargs, x, y: [True] * len(_shapes(kwargs)))
