# Attack: replace the grader's probes, which run next to the student's code, by functions whose replies have the
# wrong types and fields: text for numbers, numbers for lists, a dict for an array.
import sys

probes = sys.modules["_grader_lenet_probes"]
probes.lenet_parameters = lambda namespace, kwargs: {"parameters": "61706", "shapes": 5}
probes.lenet_layers = lambda namespace, kwargs, x: [None]
probes.lenet_logits = lambda namespace, kwargs, x: "zeros"
probes.lenet_with_weights = lambda namespace, kwargs, weights, x: {"logits": 1}
probes.lenet_gradients = lambda namespace, kwargs, x, y: "all"
