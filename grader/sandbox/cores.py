"""Which cores a batch worker (and every sandbox child it starts) may run on: its own share of the machine.

A child inherits its worker's cores, and the seccomp filter refuses ``sched_setaffinity``, so a submission that
spins hundreds of threads (or, where it may start them, processes) slows only its own worker's share, not a
neighbour graded beside it. This holds with or without cgroups, as root or not (pinning needs no privilege).
"""

from __future__ import annotations

import os
from multiprocessing.sharedctypes import Synchronized


def share(worker: int, workers: int, cores: list[int]) -> set[int]:
    """The cores of worker number ``worker`` of ``workers``: ``cores`` cut into equal runs, one per worker, or one
    core each in turn where there are more workers than cores."""
    if workers >= len(cores):
        return {cores[worker % len(cores)]}
    size = len(cores) // workers
    return set(cores[worker * size:(worker + 1) * size])


def pin(counter: Synchronized, workers: int, cores: list[int]) -> None:
    """Pin this worker process to its share of ``cores`` (the pool's creator's), numbering workers in the order they
    start (``counter`` is shared by a pool's workers)."""
    with counter.get_lock():
        worker, counter.value = counter.value, counter.value + 1
    os.sched_setaffinity(0, share(worker, workers, cores))
