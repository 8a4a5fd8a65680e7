"""A cold `grader check` imports torch in a second, trusted process (grader/oracles/torch_process.py) and sends it
the oracle's PyTorch calls (grader/oracles/remote.py): the values are those the grader computes itself, to the bit;
the process never outlives the check, however the check ends; and where it fails, the grader computes in its own
process instead."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from conftest import AS_A_FOREGROUND_JOB, EXAMPLES, ROOT
from grader import runner
from grader.oracles import oracle_for, reference_module, remote, torch_process
from grader.oracles.remote import RemoteOracle, served
from grader.runner import grade
from grader.settings import Settings
from grader.suites import get_suite
from grader.suites.conv.oracles import ConvReference, ConvTorch
from grader.warm.codec import decode
from test_warm import differing, one_torch_thread  # noqa: F401 - a fixture

NUMPY_ASSIGNMENTS = ("conv", "pool", "im2col", "params")


class FakeProcess:
    """Stands for a torch process: says which calls reached it, answers each with its name."""

    def __init__(self, unanswered: bool = False) -> None:
        self.calls: list[str] = []
        self.unanswered = unanswered
        self.owner, self.trouble = os.getpid(), ""

    def call(self, oracle: str, method: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        self.calls.append(f"{oracle}.{method}")
        if self.unanswered:
            raise torch_process.Unanswered("it died")
        return method

    def close(self, why: str = "") -> None:
        self.trouble = why or "closed"


def test_a_reference_adapter_sends_only_what_it_takes_from_pytorch() -> None:
    process = FakeProcess()
    oracle = RemoteOracle(ConvReference(reference_module(get_suite("conv"))), ConvTorch, process)
    x, w, b = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1)
    assert oracle.conv_gradients(x, w, b, 1, 0, np.ones((1, 1, 2, 2))) == "conv_gradients"
    assert oracle.conv_forward(x, w, b, 1, 0).shape == (1, 1, 2, 2)  # the reference's, here
    assert oracle.conv_output_size(5, 3) == 3 and oracle.zero_pad(x, 1).shape == (1, 1, 5, 5)
    assert oracle.name == "reference" and oracle.module.__name__.startswith("reference")
    assert process.calls == ["grader.suites.conv.oracles:ConvTorch.conv_gradients"]


def test_a_students_oracle_sends_everything_and_a_call_left_unanswered_is_computed_here() -> None:
    process = FakeProcess(unanswered=True)
    oracle = RemoteOracle(ConvTorch(), ConvTorch, process)
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    assert np.array_equal(oracle.zero_pad(x, 1), ConvTorch().zero_pad(x, 1))
    with pytest.raises(ValueError, match="does not fit"):
        oracle.conv_output_size(3, 5)
    assert process.calls == ["grader.suites.conv.oracles:ConvTorch.zero_pad",
                             "grader.suites.conv.oracles:ConvTorch.conv_output_size"]


@pytest.fixture
def serving_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProcess]:
    """A fake torch process serving this check, in a process that has not imported torch (as far as
    ``served`` looks)."""
    process = FakeProcess()
    monkeypatch.setattr(torch_process, "_serving", process)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    yield process


def test_served_sends_the_numpy_assignments_torch_to_the_process(serving_fake: FakeProcess) -> None:
    for assignment in ("conv", "pool", "im2col"):
        assert isinstance(oracle_for(get_suite(assignment), "reference"), RemoteOracle)
    assert isinstance(oracle_for(get_suite("params"), "pytorch"), RemoteOracle)
    assert torch_process.current() is serving_fake


def test_served_stops_a_process_of_no_use_to_the_check(serving_fake: FakeProcess,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fetched: list[bool] = []
    monkeypatch.setattr(remote, "fetch_in_background", lambda: fetched.append(True))
    oracle = oracle_for(get_suite("params"), "reference")  # computes nothing with torch
    assert not isinstance(oracle, RemoteOracle) and serving_fake.trouble and torch_process.current() is None
    assert not fetched


def test_served_leaves_the_oracle_alone_where_torch_is_imported_here_already(
        serving_fake: FakeProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    fetched: list[bool] = []
    monkeypatch.setattr(remote, "fetch_in_background", lambda: fetched.append(True))
    monkeypatch.setitem(sys.modules, "torch", object())
    assert type(served(get_suite("conv"), ConvTorch())) is ConvTorch
    assert serving_fake.trouble and fetched == [True]


def test_the_process_is_stopped_when_the_grader_starts_importing_torch_itself(serving_fake: FakeProcess) -> None:
    watch = torch_process.ImportWatch()
    assert watch.find_spec("numpy") is None and torch_process.current() is serving_fake
    assert watch.find_spec("torch") is None and torch_process.current() is None and serving_fake.trouble


class Recording:
    """An oracle that records each call of a method and what it gave (or raised)."""

    def __init__(self, oracle: Any, calls: list[tuple]) -> None:
        self.oracle, self.calls = oracle, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.oracle, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            asked = copy.deepcopy((args, kwargs))
            try:
                value = attribute(*args, **kwargs)
            except ValueError as error:
                self.calls.append((name, *asked, error))
                raise
            self.calls.append((name, *asked, copy.deepcopy(value)))
            return value

        return call


def same(mine: Any, theirs: Any) -> bool:
    """Equal to the bit: arrays of one dtype and shape with the same bytes, containers item by item, exceptions
    of one type with the same arguments, anything else of one type and equal."""
    if isinstance(mine, np.ndarray):
        return (isinstance(theirs, np.ndarray) and mine.dtype == theirs.dtype and mine.shape == theirs.shape
                and mine.tobytes() == theirs.tobytes())
    if isinstance(mine, (tuple, list)):
        return type(mine) is type(theirs) and len(mine) == len(theirs) and all(map(same, mine, theirs))
    if isinstance(mine, BaseException):
        return type(mine) is type(theirs) and mine.args == theirs.args
    return type(mine) is type(theirs) and mine == theirs


@pytest.mark.slow  # grades four references in the sandbox, then starts a torch process
def test_the_torch_process_computes_every_oracle_call_of_real_grades_to_the_bit(
        one_torch_thread: None, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: dict[str, list[tuple]] = {}
    for assignment in NUMPY_ASSIGNMENTS:  # a student's install: every expected value is PyTorch's
        calls = recorded[assignment] = []
        monkeypatch.setattr(runner, "oracle_for", lambda suite, name, calls=calls: Recording(
            oracle_for(suite, name), calls))
        settings = Settings("quick", oracle="pytorch")
        assert grade(assignment, ROOT / "reference" / f"{assignment}.py", settings).all_passed
    dtypes = {value.dtype for calls in recorded.values() for _, args, _, _ in calls for value in args
              if isinstance(value, np.ndarray)}
    assert {np.dtype(np.float32), np.dtype(np.float64)} <= dtypes
    with torch_process.serving():
        process = torch_process.current()
        for assignment, calls in recorded.items():
            torch_class = get_suite(assignment).oracles.pytorch
            key = f"{torch_class.__module__}:{torch_class.__qualname__}"
            methods = {name for name, *_ in calls}
            assert len(calls) > 20 and len(methods) >= 2, (assignment, methods)
            for name, args, kwargs, expected in calls:
                try:
                    answer = process.call(key, name, args, kwargs)
                except ValueError as error:
                    answer = error
                assert same(expected, answer), (assignment, name, args, kwargs)
        assert not process.trouble
    assert process.process.returncode is not None  # killed and reaped with the block


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter in the repository (as `python -m grader.cli` runs); its stdout."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


GRADE_WITH_A_TORCH_PROCESS = """
import json, sys
from pathlib import Path
from grader.oracles import torch_process
from grader.runner import grade
from grader.settings import Settings
from grader.warm.codec import encode
with torch_process.serving():
    report = grade({assignment!r}, Path({path!r}), Settings("quick", seed={seed!r}))
print(json.dumps({{"report": encode(report), "torch here": "torch" in sys.modules}}))
"""


@pytest.mark.slow  # grades in the sandbox, in a fresh interpreter and here
@pytest.mark.parametrize("example", [path for path in EXAMPLES.glob("*/*") if path.parent.name in NUMPY_ASSIGNMENTS],
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_grade_with_a_torch_process_equals_one_with_torch_here_on_every_bundled_example(
        one_torch_thread: None, example: Path) -> None:
    seed = 7 if example.suffix == ".ipynb" else None
    printed = json.loads(run_python(GRADE_WITH_A_TORCH_PROCESS.format(
        assignment=example.parent.name, path=str(example), seed=seed)))
    here = grade(example.parent.name, example, Settings("quick", seed=seed))
    assert not printed["torch here"]  # every torch computation was the process's
    assert not differing(decode(printed["report"]), here)


CHECK_AND_WATCH_THE_PROCESS = """
import contextlib, io, os, sys
from pathlib import Path
from grader.cli import main
from grader.oracles import torch_process
started = []
original = torch_process.TorchProcess.__init__
def spy(self):
    original(self)
    started.append(self.process.pid)
torch_process.TorchProcess.__init__ = spy
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["check", "conv", "reference/conv.py", "--no-daemon"])
print(code, "all passed" in out.getvalue(), "torch" in sys.modules, len(started), Path(f"/proc/{started[0]}").exists())
"""


@pytest.mark.slow  # grades end to end in a fresh interpreter
def test_a_cold_check_computes_with_torch_in_its_own_process_and_reaps_it() -> None:
    assert run_python(CHECK_AND_WATCH_THE_PROCESS).split() == ["0", "True", "False", "1", "False"]


def torch_process_of(grader: subprocess.Popen, seconds: float = 60.0) -> int:
    """The pid of the torch process a running `grader check` started (waits for it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pid in Path(f"/proc/{grader.pid}/task/{grader.pid}/children").read_text().split():
            if b"torch_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return int(pid)
        time.sleep(0.01)
    raise AssertionError("the check started no torch process")


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting for its reaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.slow  # starts `grader check` and interrupts it
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_the_torch_process_ends_with_an_interrupted_or_killed_check(how: signal.Signals, tmp_path: Path) -> None:
    with (tmp_path / "stderr").open("wb") as said:  # a file: the sandbox's zygote may outlive a killed check
        grader = subprocess.Popen([*AS_A_FOREGROUND_JOB, "-m", "grader.cli", "check", "conv", "reference/conv.py",
                                   "--no-daemon"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=said)
    helper = torch_process_of(grader)
    grader.send_signal(how)
    grader.wait(timeout=60)
    stderr = (tmp_path / "stderr").read_bytes()
    deadline = time.monotonic() + 10
    while running(helper) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not running(helper)
    if how == signal.SIGINT:
        assert grader.returncode != 0 and b"KeyboardInterrupt" in stderr
        assert not Path(f"/proc/{helper}").exists()  # reaped by the check, not left to whoever adopts it


@pytest.mark.slow  # starts a torch process
def test_the_torch_process_imports_nothing_from_the_folder_the_check_runs_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    for name in ("json", "socket", "torch"):  # what it imports first
        (tmp_path / f"{name}.py").write_text("raise SystemExit('a module of the student folder ran')\n")
    monkeypatch.chdir(tmp_path)
    with torch_process.serving():
        process = torch_process.current()
        x = np.arange(4.0).reshape(1, 1, 2, 2)
        assert same(process.call("grader.suites.conv.oracles:ConvTorch", "zero_pad", (x, 1), {}),
                    ConvTorch().zero_pad(x, 1))
    assert not capsys.readouterr().err


@pytest.mark.slow  # starts processes that fail
@pytest.mark.parametrize("failure", ["dies", "no torch"])
def test_a_torch_process_that_fails_leaves_the_grader_computing_the_same_values_itself(
        failure: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    if failure == "dies":
        monkeypatch.setattr(torch_process, "BOOT", "import sys; sys.exit(3)")
    else:  # a torch that does not import, found first on the process's path only
        (tmp_path / "torch").mkdir()
        (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('no torch here')\n")
        monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    case = [np.arange(18.0).reshape(1, 2, 3, 3) % 5, np.ones((2, 2, 2, 2)), np.array([0.5, -1.0]), 1, 1,
            np.arange(32.0).reshape(1, 2, 4, 4)]
    with torch_process.serving():
        process = torch_process.current()
        oracle = RemoteOracle(ConvTorch(), ConvTorch, process)
        assert all(map(same, oracle.conv_gradients(*case), ConvTorch().conv_gradients(*case)))
        assert torch_process.current() is None and process.trouble
    assert process.process.returncode is not None
    said = capsys.readouterr().err
    assert "computing with torch in this process instead" in said
    assert ("exit status 3" if failure == "dies" else "ImportError: no torch here") in said
