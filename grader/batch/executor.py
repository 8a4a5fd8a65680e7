"""Where grading jobs run, behind one small interface: `submit(job) -> Future`.

`LocalExecutor` is a process pool on this machine. Another backend (Dask distributed, for a cluster) is
another class with the same `submit`, `close` and context-manager methods.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import sys
import tempfile
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, TypeVar

from grader.batch.scratch import POOL_PREFIX, held_folder, tagged_pool_resources

from grader.sandbox.cores import pin

T = TypeVar("T")

# What every worker imports, imported once by the forkserver that forks them (when this process starts it): a
# worker, and a fresh pool after a worker's death, starts in milliseconds instead of importing torch again, and the
# workers share those pages. The forkserver only imports: it runs no torch operation, so starts no thread to fork.
WORKER_MODULES = ("torch", "grader.batch.job")


class Executor(Protocol):
    """Runs picklable zero-argument jobs somewhere and hands back futures. `workers` is how many jobs run at once
    (None: no limit worth keeping to, the backend queues them itself)."""

    workers: int | None

    def submit(self, job: Callable[[], T]) -> concurrent.futures.Future[T]: ...

    def close(self, cancel: bool = False) -> None: ...


def init_worker(counter: Synchronized | None = None, workers: int = 1, cores: tuple[int, ...] = ()) -> None:
    """One torch thread per worker, so that parallel jobs do not fight over the cores; with ``counter``, the worker
    (and every sandbox child it starts) keeps to its own share of ``cores``, so that a submission spinning threads
    slows only itself (``grader.sandbox.cores``)."""
    import torch

    torch.set_num_threads(1)
    if counter is not None:
        pin(counter, workers, list(cores))


class LocalExecutor:
    """A pool of `jobs` worker processes (forkserver on Linux, spawn elsewhere: never fork a threaded parent).

    When a worker dies (the out-of-memory killer's SIGKILL, a segfault), the pool breaks: every job in it fails with
    `BrokenProcessPool`, and the next `submit` replaces the pool with a fresh one.
    """

    def __init__(self, jobs: int | None = None, pin: bool = True) -> None:
        self.workers = jobs or os.cpu_count() or 1
        self.pin = pin  # each worker on its own cores (bench/neighbour_slowdown.py measures without, too)
        self.pool = self.new_pool()

    def new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        """A fresh pool of `workers` processes, each with one torch thread (and its own cores, on Linux)."""
        linux = sys.platform.startswith("linux")
        context = multiprocessing.get_context("forkserver" if linux else "spawn")
        if linux:
            context.set_forkserver_preload(list(WORKER_MODULES))
        # The cores are this process's, passed on: a worker forked by the forkserver inherits the forkserver's
        # affinity, which is whatever its starter had when it started, possibly long before.
        cores = tuple(sorted(os.sched_getaffinity(0))) if linux else ()
        shares = (context.Value("i", 0), self.workers, cores) if linux and self.pin else ()
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=init_worker, initargs=shares)

    def submit(self, job: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Queue `job` (picklable: it crosses into a worker process), on a fresh pool if a worker's death broke
        this one."""
        try:
            return self.pool.submit(job)
        except BrokenProcessPool:
            self.pool.shutdown(wait=True)
            self.pool = self.new_pool()
            return self.pool.submit(job)

    def close(self, cancel: bool = False) -> None:
        """Wait for running jobs (dropping queued ones when `cancel`) and stop the workers."""
        self.pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(cancel=exc[0] is not None)


@contextlib.contextmanager
def local_pool(jobs: int | None) -> Iterator[LocalExecutor]:
    """A `LocalExecutor` whose semaphores and helper folder a later batch can find and remove if this process is
    killed (see `scratch`)."""
    with held_folder(Path(tempfile.gettempdir()), POOL_PREFIX) as folder, tagged_pool_resources(folder):
        with LocalExecutor(jobs) as pool:
            yield pool
