"""What the grader draws in secret for one training run, every draw from the run's seed, so a regrade replays it.

A draw the child sees (the initial weights, the loader's order, torch's seed) comes from a stream of its own, so
seeing one tells nothing of the others, and nothing the child sees is the seed itself. Secret only as far as the
seed is: the official grade's seed is; a local check's public seed is not.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass

import numpy as np

from grader.suites.lenet.network import network
from grader.suites.params import LENET

PURPOSES = ("relabelling", "initial weights", "stand-in weights", "loader order", "torch seed")


@dataclass(frozen=True)
class Draws:
    """One training run's secrets: the classes' relabelling, LeNet-5's initial weights handed to fit, a second draw
    of them that stands in for the first in the descent check (never sent to the child), and the seeds of the
    loader's shuffling and of torch in the child."""

    relabelling: np.ndarray
    initial: list[np.ndarray]
    stand_in: list[np.ndarray]
    loader_seed: int
    torch_seed: int


def stream(seed: int, purpose: str) -> np.random.Generator:
    """The random stream of one purpose under one run seed. Its entropy is a SHA-256 of the two: recovering a
    stream's state from what it drew (PCG64 allows that) gives neither the seed nor any other purpose's stream."""
    key = hashlib.sha256(f"{seed}:{purpose}".encode()).digest()
    return np.random.default_rng(np.random.SeedSequence(int.from_bytes(key, "big")))


def relabelling(rng: np.random.Generator) -> np.ndarray:
    """A permutation of the ten classes with no fixed point: fit learns the relabelled classes as well as the true
    ones, but weights trained beforehand put nearly every test image in the wrong class."""
    while True:
        relabel = rng.permutation(10)
        if not np.any(relabel == np.arange(10)):
            return relabel.astype(np.int64)


def lenet_weights(rng: np.random.Generator) -> list[np.ndarray]:
    """LeNet-5's parameters, in the order of ``parameters()``, drawn as PyTorch draws them by default (uniform
    within +-1/sqrt(fan_in) for each layer's weight and bias), so training from them is training as usual."""
    drawn, bound = [], 1.0
    for shape in lenet_shapes():
        bound = 1 / math.sqrt(math.prod(shape[1:])) if len(shape) > 1 else bound  # a bias takes its weight's bound
        drawn.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    return drawn


@functools.cache
def lenet_shapes() -> tuple[tuple[int, ...], ...]:
    """The shapes of LeNet-5's parameters in order, from the network of its layer list (params' LENET)."""
    return tuple(tuple(parameter.shape) for parameter in network(LENET).parameters())


def draws(seed: int) -> Draws:
    """Everything the training run draws, from the run's seed alone."""
    return Draws(relabelling(stream(seed, "relabelling")), lenet_weights(stream(seed, "initial weights")),
                 lenet_weights(stream(seed, "stand-in weights")),
                 int(stream(seed, "loader order").integers(1 << 62)), int(stream(seed, "torch seed").integers(1 << 62)))
