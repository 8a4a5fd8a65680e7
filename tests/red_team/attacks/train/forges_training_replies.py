# Attack: replace the training probes by functions whose replies have the wrong types,
# and losses that overflow a plot: [1e308, -1e308].
import sys

probes = sys.modules["_grader_train_probes"]
probes.pick_device = lambda namespace: "cuda"
probes.train_fit = lambda namespace, *args: {"losses": [1e308, -1e308], "weights": "trained", "seconds": "fast",
                                             "input_devices": 3, "cuda_peak_bytes": None}
probes.train_evaluate = lambda namespace, *args: [0.99]
