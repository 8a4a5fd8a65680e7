# Attack: submit no network of one's own: take the grader's LeNet-5, which the sandbox loads next to the
# student's code (for the probes), from sys.modules.
import sys

LeNet5 = sys.modules["_grader_lenet_model"].LeNet5Variant
