"""Repairs of a training loop (train's ``fit``): every candidate is a training run, and the fit's checks train
LeNet-5 for minutes, far past a search's 20 s. So a candidate is screened, then accepted, on less data:

- the screen, in the search's live child: the candidate trains the grader's LeNet-5 from the run's secret initial
  weights on a slice of the training set (SLICE_IMAGES, SLICE_EPOCHS short epochs), and the grader checks what the
  fit's checks are about, in the order they build on (``PROPERTIES``): one finite loss per epoch; every layer
  trained, nothing infinite; gradients zeroed between steps (watched in the child, ``fit_probe``: fit for a screen,
  never for a grade); the loss falls, by a quarter as the grader measures it on the slice, and as fit reports it;
  each reported loss is its epoch's mean (the child notes the cross-entropy of every batch the network answers).
- the acceptance: the fit's own checks, unchanged, on a fresh seed (new secret initial weights, relabelling and
  order), with a plan of their own, ``REPAIR_PLAN``: 2 epochs of batch 32 on 2,000 images of the 5,000-image
  subset, and a bar of 80 % on its 500 held-out images, where the fits the check's message recommends (Adam 1e-3;
  SGD 0.02, momentum 0.9) reach 86-93 % (`bench/repair_bench.py --fit-bar 10`; bench/RESULTS.md) and a fit that
  does not train stays far below. It runs in the search's child, where the candidate is in force
  (``FitTrial.verify``).

So a repair of fit is reported only once the repaired fit trained LeNet-5 past a bar the grader measured itself.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from grader.repair.source import Site
from grader.repair.trial import Outcome, Trial
from grader.repair.verify import all_passed, checks_to_verify, fresh_seed, verification_profile
from grader.results import CheckResult
from grader.runner import run_checks
from grader.suites import train
from grader.suites.framework import CheckAborted, CheckFailed, Context, Suite
from grader.suites.params import LENET
from grader.suites.train import hints
from grader.suites.train.measures import lenet_holding, measure

SLICE_IMAGES, SLICE_EPOCHS, SLICE_BATCH = 640, 2, 32  # 40 steps: about a second on one core
SCREEN_SECONDS = 60.0  # a candidate's slice run at most (a loop that never ends costs this, not the budget)
PILED_SHARE = 0.5  # gradients that found an earlier step's still there, above which zero_grad is missing
LEARNED = 0.75  # the grader's loss on the slice after the candidate's run, at most this share of the initial one
MEAN_TOLERANCE = 0.05  # how far (relative) a reported epoch loss may be from the epoch's mean cross-entropy
REPAIR_PLAN, REPAIR_IMAGES = train.Plan(epochs=2, batch_size=32, bar=0.80, fit_seconds=120), 2000
PROBE = ("_grader_fit_screen", Path(__file__).with_name("fit_probe.py"))


def on_repair_plan(ctx: Context) -> None:
    """Grade fit in ``ctx`` with the repair plan (the verification's hook)."""
    train.on_subset(ctx, REPAIR_PLAN, REPAIR_IMAGES)


@dataclass(frozen=True)
class SliceRun:
    """What a candidate fit did on the slice: what it returned, the weights it trained (and the initial ones), how
    gradients arrived and each epoch's mean loss (as the child saw them), and the grader's own loss of the initial
    and of the trained weights on the slice."""

    losses: Any
    weights: list[np.ndarray]
    initial: list[np.ndarray]
    arrivals: int
    piled: int
    epoch_means: list[float]
    loss_before: float
    loss_after: float


def one_loss_per_epoch(run: SliceRun) -> str:
    reported = run.losses
    if isinstance(reported, list) and len(reported) == SLICE_EPOCHS and \
            all(isinstance(v, float) and math.isfinite(v) and v >= 0 for v in reported):
        return ""
    return f"fit returned {reported!r:.80} for {SLICE_EPOCHS} epochs, not one finite loss per epoch"


def trained(run: SliceRun) -> str:
    return hints.training_problem(run.weights, run.initial)


def gradients_zeroed(run: SliceRun) -> str:
    if run.piled > PILED_SHARE * run.arrivals:
        return f"{run.piled} of {run.arrivals} gradients found the last step's gradient still there"
    return ""


def loss_falls(run: SliceRun) -> str:
    """The grader's loss falls by a quarter at least (the recommended fits reach a third of it; a network that
    collapsed to one class, or does not learn, stays near ln 10), and so do the reported ones."""
    if run.loss_after < LEARNED * run.loss_before and run.losses[-1] < run.losses[0]:
        return ""
    return f"the loss does not fall: {run.loss_before:.3f} before, {run.loss_after:.3f} after; reported {run.losses}"


def reported_means(run: SliceRun) -> str:
    """Each epoch's reported loss is that epoch's mean loss: within MEAN_TOLERANCE of the mean cross-entropy of the
    batches the network answered (stricter than the check's bounds, which a total divided by the wrong count can
    meet by chance; a fit that reports another loss, label-smoothed say, gets no hint rather than a wrong one)."""
    if len(run.epoch_means) == len(run.losses) and \
            all(abs(r - m) <= MEAN_TOLERANCE * m for r, m in zip(run.losses, run.epoch_means)):
        return ""
    return f"fit reported {run.losses} where the epochs' mean losses were {run.epoch_means}"


PROPERTIES: tuple[Callable[[SliceRun], str], ...] = (one_loss_per_epoch, trained, gradients_zeroed, loss_falls,
                                                     reported_means)


class FitTrial(Trial):
    """Grades versions of fit: the slice screen for ``screen``; the fit's own checks accept in the verification."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = dataclasses.replace(self.policy, probe_modules=self.policy.probe_modules + (PROBE,))
        self.loss_before: float | None = None  # of the initial weights on the slice: the same for every candidate

    def screen(self, sites: Sequence[Site]) -> Outcome:
        """Train the fit rewritten at ``sites`` on the slice; how many of the properties held, in order."""
        self.tried += 1
        context = self.run(sites)
        on_repair_plan(context)
        try:
            run = self.slice_run(context)
        except (CheckFailed, CheckAborted) as failure:
            return Outcome(False, 0, "slice run", 0, str(failure))
        except (KeyError, TypeError, ValueError) as problem:  # a reply not of the probe's shape
            return Outcome(False, 0, "slice run", 0, f"fit's run came back malformed: {problem}")
        for held, check in enumerate(PROPERTIES):
            if problem := check(run):
                return Outcome(False, held, check.__name__, 0, problem)
        return Outcome(True, len(PROPERTIES))

    def accept(self, sites: Sequence[Site]) -> bool:
        """Every candidate that passes the screen goes on: the fit's checks train, so they run once, in the
        verification, which is what accepts a repair of fit."""
        return True

    def verify(self, suite: Suite, sites: Sequence[Site], results: Sequence[CheckResult]) -> int | None:
        """The fit's own checks on the repair plan, on a fresh seed (new secret weights, relabelling and order),
        in this child, where the candidate already replaced the student's fit: a fresh child would start torch
        again, a third of the budget on this machine. (The bench regrades each repair in a fresh child.)"""
        seed = fresh_seed(self.settings.seed_in_force)
        context = self.run(sites, dataclasses.replace(self.settings, seed=seed))
        on_repair_plan(context)
        checks = checks_to_verify(suite, self.definition, results)
        outcome = run_checks(checks, context, self.loaded, verification_profile(self.settings, seed), seed)
        return seed if all_passed(outcome) else None

    def slice_run(self, context: Context) -> SliceRun:
        """The candidate's fit on the slice, in the child, and the grader's measures of what it returned."""
        data, secret = context.remember("data", lambda: train.data(context)), train.secret_draws(context)
        images, labels = data.train.images[:SLICE_IMAGES], data.train.labels[:SLICE_IMAGES]
        seconds = max(1.0, min(SCREEN_SECONDS, self.deadline - time.monotonic()))
        reply = context.probe("train_fit_watched", LENET, images, labels, SLICE_EPOCHS, SLICE_BATCH, secret.initial,
                              secret.loader_seed, secret.torch_seed, train.device_name(), label="fit", seconds=seconds)
        if self.loss_before is None:
            self.loss_before = measure(lenet_holding(secret.initial), images, labels)[1]
        weights = [np.asarray(w, np.float32) for w in reply["weights"]]
        return SliceRun(reply["losses"], weights, secret.initial, int(reply["arrivals"]), int(reply["piled"]),
                        [float(m) for m in reply["epoch_means"]], self.loss_before,
                        measure(lenet_holding(weights), images, labels)[1])
