"""The Dask backend: on a real LocalCluster it grades the class exactly as the local pool does."""

from __future__ import annotations

import dataclasses
import importlib
import sys
import time
from pathlib import Path

import pytest

from conftest import require

from grader.batch.discover import Entry
from grader.batch.job import GradeJob
from grader.batch.records import Record
from grader.batch.run import run_batch
from grader.settings import Settings
from test_batch import IDS, build_class

try:
    from distributed import LocalCluster

    from grader.batch.dask_executor import DaskExecutor, resources_for
except ImportError:
    LocalCluster = None

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    require(LocalCluster is not None, "distributed is not installed: pip install '.[dask]'")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def job(assignment: str) -> GradeJob:
    return GradeJob(assignment, Entry("alice", Path("alice.py")), Path("out"), "key", Settings("quick", seed=0))


def untimed(records: list[Record]) -> list[dict]:
    return [dataclasses.asdict(record) | {"seconds": None} for record in records]


def scheduler_restrictions(executor: DaskExecutor, wait: float = 10.0) -> list[dict]:
    """The resource restrictions of the tasks on the scheduler, once it has any (a submit reaches it later)."""
    deadline = time.monotonic() + wait
    while True:
        restrictions = executor.client.run_on_scheduler(
            lambda dask_scheduler: [task.resource_restrictions for task in dask_scheduler.tasks.values()])
        if restrictions or time.monotonic() > deadline:
            return restrictions
        time.sleep(0.05)


def test_resources_for_asks_a_gpu_only_for_training_runs(cluster) -> None:
    assert resources_for(job("train")) == {"GPU": 1}
    assert all(resources_for(job(name)) == {} for name in ("conv", "pool", "params", "lenet"))


def test_dask_grades_the_class_as_the_local_pool_does(cluster, tmp_path: Path) -> None:
    submissions = build_class(tmp_path / "submissions")
    local = run_batch("pool", submissions, tmp_path / "local", jobs=2, settings=Settings("quick"))
    with DaskExecutor(cluster=cluster) as executor:
        remote = run_batch("pool", submissions, tmp_path / "dask", settings=Settings("quick"), executor=executor)
    assert [record.student_id for record in remote] == IDS
    assert untimed(remote) == untimed(local)
    assert (tmp_path / "dask" / "gradebook.csv").read_text() == (tmp_path / "local" / "gradebook.csv").read_text()


def test_workers_run_torch_with_one_thread(cluster) -> None:
    with DaskExecutor(scheduler=cluster.scheduler_address) as executor:
        threads = executor.client.run(lambda: __import__("torch").get_num_threads())
    assert set(threads.values()) == {1}


def test_a_training_job_waits_for_a_gpu_worker_and_close_cancels_it(cluster) -> None:
    executor = DaskExecutor(cluster=cluster)
    future = executor.submit(job("train"))
    assert scheduler_restrictions(executor) == [{"GPU": 1}] and not future.done()
    executor.close(cancel=True)
    assert future.cancelled()


def test_exactly_one_of_scheduler_or_cluster(cluster) -> None:
    with pytest.raises(ValueError, match="exactly one of scheduler"):
        DaskExecutor()


def test_without_distributed_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "grader.batch.dask_executor", raising=False)
    with pytest.raises(ImportError, match=r"pip install '\.\[dask\]'"):
        importlib.import_module("grader.batch.dask_executor")
