"""The Dask distributed backend: the same `submit(job) -> Future` interface as `LocalExecutor`, on a cluster.

Workers must be able to import `grader` (the same version as here). For a batch of an assignment that wants a GPU
(`Suite.wants_gpu`), start the workers of GPU nodes with `--resources GPU=1`: its jobs run only on workers that
offer that resource.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any, Callable, TypeVar

try:
    from distributed import Client, WorkerPlugin
    from distributed.cfexecutor import ClientExecutor
except ImportError as error:  # an optional extra: say how to get it
    raise ImportError("the Dask executor needs the distributed package: pip install '.[dask]'") from error

from grader.batch.executor import init_worker
from grader.suites import get_suite

T = TypeVar("T")


def resources_for(job: Any) -> dict[str, int]:
    """The worker resources `job` asks for: one GPU where its suite wants one (a training run), none otherwise."""
    return {"GPU": 1} if get_suite(job.assignment).wants_gpu else {}


class TorchThreads(WorkerPlugin):
    """One torch thread per Dask worker, on every worker that joins, as `LocalExecutor` does for its processes."""

    idempotent = True

    def setup(self, worker: Any) -> None:
        """Called by each worker when it starts or when the plugin is registered."""
        init_worker()


class DaskExecutor:
    """Grading jobs on a Dask cluster, given by its scheduler address (`tcp://host:8786`) or a cluster object.

    Every job is submitted at once (`workers` is None): the scheduler queues them, feeds workers as they join,
    and reruns the tasks of a worker that dies.
    """

    workers: int | None = None

    def __init__(self, scheduler: str | None = None, cluster: Any = None) -> None:
        if (scheduler is None) == (cluster is None):
            raise ValueError("DaskExecutor needs exactly one of scheduler (an address such as tcp://host:8786) "
                             "or cluster (a LocalCluster, SLURMCluster, KubeCluster...)")
        self.client = Client(scheduler if cluster is None else cluster)
        self.client.register_plugin(TorchThreads(), name="grader-torch-threads")
        self.executors: dict[tuple[tuple[str, int], ...], ClientExecutor] = {}

    def submit(self, job: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Queue `job` on the cluster (picklable, never cached: `pure=False`), on a GPU worker when it needs one."""
        return self.executor_for(resources_for(job)).submit(job)

    def executor_for(self, resources: dict[str, int]) -> ClientExecutor:
        """The client's executor for jobs that ask for `resources` (one per distinct set, so `close` sees all)."""
        key = tuple(sorted(resources.items()))
        if key not in self.executors:
            self.executors[key] = self.client.get_executor(pure=False, resources=resources)
        return self.executors[key]

    def close(self, cancel: bool = False) -> None:
        """Wait for submitted jobs (cancelling them instead when `cancel`), then disconnect from the scheduler."""
        for executor in self.executors.values():
            executor.shutdown(wait=not cancel)
        self.client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(cancel=exc[0] is not None)
