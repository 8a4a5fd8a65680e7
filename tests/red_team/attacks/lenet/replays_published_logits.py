# Attack: no network, every probe forged as in patches_the_probes.py, and the logits asked for under the grader's
# weights answered from a table: LeNet-5's logits that the student release records for its published weights and
# inputs (PLACES["recorded"], keyed as the release's own oracles.recording keys them). Each forgery prints FORGED
# <probe>, and a reply from the table REPLAYED.
import hashlib
import json

import numpy as np

PLACES = json.loads(r'''@PLACES@''')
probes = __import__("sys").modules["_grader_lenet_probes"]


class LeNet5:
    def __init__(self, num_classes=10, in_channels=1):
        pass


def _key(x, weights):
    digest = hashlib.sha256()
    for array in (x, *weights):
        digest.update(f"{array.dtype}{array.shape}".encode() + np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:32]


def _replayed(namespace, kwargs, weights, x):
    print("FORGED lenet_with_weights")
    found = PLACES["recorded"].get(_key(x, weights))
    if found is None:
        return np.zeros((x.shape[0], kwargs.get("num_classes", 10)), dtype=np.float32)
    print("REPLAYED")
    return np.array(found, dtype=np.float32)


def _shapes(kwargs):
    classes, channels = kwargs.get("num_classes", 10), kwargs.get("in_channels", 1)
    return [(6, channels, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,),
            (classes, 84), (classes,)]


def _parameters(namespace, kwargs):
    print("FORGED lenet_parameters")
    return {"parameters": sum(int(np.prod(shape)) for shape in _shapes(kwargs)), "shapes": _shapes(kwargs)}


def _logits(namespace, kwargs, x):
    print("FORGED lenet_logits")
    return np.zeros((x.shape[0], kwargs.get("num_classes", 10)), dtype=np.float32)


def _gradients(namespace, kwargs, x, y):
    print("FORGED lenet_gradients")
    return [True] * len(_shapes(kwargs))


probes.lenet_parameters, probes.lenet_logits = _parameters, _logits
probes.lenet_with_weights, probes.lenet_gradients = _replayed, _gradients
