"""`grader batch --executor dask` on a real cluster: a scheduler and two worker processes started with the `dask
scheduler` and `dask worker` commands, each in a working directory of its own. Paths given relative to where the
command runs reach the workers resolved, and a worker SIGKILLed mid-batch loses nothing and grades nothing twice."""

from __future__ import annotations

import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from conftest import SUBMISSIONS, require

from grader.batch.executor import LocalExecutor
from grader.batch.run import run_batch
from grader.cli import main
from grader.settings import Settings
from test_batch import make_zip

try:
    from distributed import Client
except ImportError:
    Client = None

pytestmark = pytest.mark.slow

START_SECONDS = 180  # generous: a loaded two-core machine imports distributed, the grader and torch per process


@dataclass
class Cluster:
    """A running scheduler, its worker processes by name, a client of the test's own, and the workers' folder."""

    address: str
    workers: dict[str, subprocess.Popen]
    client: Client
    workers_folder: Path


def start(command: list[str], folder: Path, log: Path) -> subprocess.Popen:
    """One `dask ...` command, run in `folder`, its output in `log`."""
    with log.open("wb") as output:
        return subprocess.Popen([sys.executable, "-m", "dask", *command], cwd=folder, stdout=output,
                                stderr=subprocess.STDOUT)


def wait_for_file(path: Path, process: subprocess.Popen, log: Path) -> None:
    """Wait until `process` writes `path`; fail with its log if it exits or takes too long."""
    deadline = time.monotonic() + START_SECONDS
    while not path.is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.is_file(), f"the scheduler wrote no {path.name}:\n{log.read_text()}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler on a free port (port 0, address read from its scheduler file) and workers w0 and w1 without
    nannies (a killed worker stays dead), all started in a folder that is not the test's working directory."""
    require(Client is not None, "distributed is not installed: pip install '.[dask]'")
    root = tmp_path_factory.mktemp("dask")
    folder, address_file = root / "workers-folder", root / "scheduler.json"
    folder.mkdir()
    common = ["--scheduler-file", str(address_file), "--host", "127.0.0.1", "--no-dashboard"]
    processes = [start(["scheduler", *common, "--port", "0", "--idle-timeout", "900"], folder, root / "scheduler.log")]
    try:
        wait_for_file(address_file, processes[0], root / "scheduler.log")
        workers = {name: start(["worker", *common, "--name", name, "--nthreads", "1", "--no-nanny", "--death-timeout",
                                "60", "--local-directory", str(root / name)], folder, root / f"{name}.log")
                   for name in ("w0", "w1")}
        processes += workers.values()
        with Client(scheduler_file=str(address_file), timeout=START_SECONDS) as client:
            client.wait_for_workers(2, timeout=START_SECONDS)
            yield Cluster(json.loads(address_file.read_text())["address"], workers, client, folder)
    finally:
        for process in reversed(processes):  # each worker first, alone: one stopping as the scheduler does can hang
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate `process` and wait for it; kill it if it takes too long."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def local() -> Iterator[LocalExecutor]:
    """The local pool the cluster's gradebooks are compared with."""
    with LocalExecutor(2) as pool:
        yield pool


def gradebook(out: Path) -> str:
    return (out / "gradebook.csv").read_text()


def status_counts(out: Path) -> Counter:
    """How many students the gradebook gives each status."""
    return Counter(line.split(",")[3] for line in gradebook(out).splitlines()[1:])


def small_class(folder: Path) -> Path:
    """A correct file, a mistake, a zip (unpacked by the client, read by a worker) and a corrupt zip."""
    params = SUBMISSIONS / "params"
    folder.mkdir()
    shutil.copy(params / "correct_loops.py", folder / "ann.py")
    (folder / "ben.py").write_text((params / "correct_loops.py").read_text() + "\n\n"
                                   + (params / "mistakes" / "no_bias_counts.py").read_text())
    make_zip(folder / "cat.zip", {"cat/params.py": (params / "correct_loops.py").read_text()})
    (folder / "dan.zip").write_bytes(b"PK\x03\x04 not a zip")
    return folder


@pytest.mark.timeout(600)
def test_relative_paths_are_resolved_where_the_command_runs_not_in_each_worker(
        cluster: Cluster, local: LocalExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    small_class(tmp_path / "submissions")
    run_batch("params", tmp_path / "submissions", tmp_path / "local", Settings("quick"), executor=local,
              stream=io.StringIO())
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "params", "submissions", "--out", "graded", "--profile", "quick", "--executor", "dask",
                 "--scheduler", cluster.address]) == 0
    assert gradebook(tmp_path / "graded") == gradebook(tmp_path / "local")
    assert list(cluster.workers_folder.iterdir()) == [], "a worker wrote into its own working directory"
    counts = status_counts(tmp_path / "graded")
    assert counts == {"passed": 2, "failed": 1, "did not load": 1}
    final = [line for line in capsys.readouterr().err.splitlines() if " 4/4 " in line]  # the progress bar's last
    assert f"did not load {counts['did not load']}, grader error {counts['grader error']}" in final[-1]


def class_of_forty(folder: Path) -> Path:
    """Forty cheap params submissions: correct, mistaken, with a syntax error, and defining nothing to grade."""
    params = SUBMISSIONS / "params"
    correct = (params / "correct_loops.py").read_text()
    kinds = [correct, correct + "\n\n" + (params / "mistakes" / "no_bias_counts.py").read_text(),
             "def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):\n    return (\n",
             "print('not started yet')\n"]
    folder.mkdir()
    for number in range(40):
        (folder / f"s{number:02d}.py").write_text(kinds[number % len(kinds)])
    return folder


def kill_a_busy_worker(cluster: Cluster, batch: subprocess.Popen) -> str:
    """SIGKILL a worker that is grading something while `batch` runs; returns its name ('' if the batch ended)."""
    while batch.poll() is None:
        busy = [address for address, tasks in cluster.client.processing().items() if tasks]
        names = {address: info["name"] for address, info in cluster.client.scheduler_info()["workers"].items()}
        if busy and names.get(busy[0]) in cluster.workers:
            victim = cluster.workers[names[busy[0]]]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            return names[busy[0]]
        time.sleep(0.05)
    return ""


@pytest.mark.timeout(600)
def test_a_worker_killed_mid_batch_loses_nothing_and_grades_nothing_twice(cluster: Cluster, local: LocalExecutor,
                                                                         tmp_path: Path) -> None:
    submissions = class_of_forty(tmp_path / "class")
    run_batch("params", submissions, tmp_path / "local", Settings("quick"), executor=local, stream=io.StringIO())
    command = [sys.executable, "-m", "grader.cli", "batch", "params", "class", "--out", "graded", "--profile",
               "quick", "--executor", "dask", "--scheduler", cluster.address]
    log, records = tmp_path / "batch.log", tmp_path / "graded"
    with log.open("w") as output:
        batch = subprocess.Popen(command, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
        while len(list(records.glob("*/record.json"))) < 24 and batch.poll() is None:  # late: one worker does less
            time.sleep(0.05)
        killed = kill_a_busy_worker(cluster, batch)
        recorded_at_kill = len(list(records.glob("*/record.json")))
        assert batch.wait(timeout=480) == 0, log.read_text()
    assert killed and 0 < recorded_at_kill < 40, "the kill should land mid-batch, on a worker grading something"
    assert gradebook(records) == gradebook(tmp_path / "local")
    assert status_counts(records) == {"passed": 10, "failed": 20, "did not load": 10}
    for student in sorted(submissions.iterdir()):  # one set of results per student: none lost, none doubled
        assert sorted(p.name for p in (records / student.stem).iterdir() if not p.name.startswith(".")) == [
            "record.json", "report.html", "report.md", "results.json"]
    assert re.search(r"40/40 .*did not load 10, grader error 0", log.read_text())
