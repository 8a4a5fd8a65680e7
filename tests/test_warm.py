"""The warm grader (grader.warm): a per-user daemon that `grader check`, `grader watch` and a notebook's
`grader.check` reuse, giving exactly a cold run's verdict and report, never serving another user, and falling back
to a cold run when it is gone, stale or hung. Each daemon here lives in a folder of this module's and is stopped at
teardown; the rest of the suite grades cold (tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

import grader
from conftest import AS_A_FOREGROUND_JOB, ROOT, SUBMISSIONS
from grader.cli import main
from grader.notebook import grade_function
from grader.reports.outputs import render, renderers
from grader.results import GradeReport
from grader.runner import grade
from grader.settings import Settings
from grader.submission import SourceCell
from grader.warm import client, frames
from grader.warm.codec import decode, encode
from grader.warm.daemon import clients_view
from grader.warm.place import Install, Place, PlaceError, place_of
from grader.warm.watch import watch

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

EXAMPLES = sorted((ROOT / "examples" / "submissions").glob("*/*"))
NOBODY = 65534


def daemons_in(folder: Path) -> list[int]:
    """The pids of the daemons serving from ``folder`` (a daemon's working folder is its socket's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"grader.warm.daemon" in (entry / "cmdline").read_bytes() \
                    and os.readlink(entry / "cwd") == str(folder):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_until(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def warm_folder() -> Iterator[Path]:
    """The warm grader switched on for this module, in a private folder (short: a socket path holds 107 bytes);
    every daemon left there is asked to stop at teardown, and must be gone."""
    folder = Path(tempfile.mkdtemp(prefix="grader-warm-"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADER_DAEMON_DIR", str(folder))
        patch.setenv("GRADER_NO_DAEMON", "0")
        yield folder
        main(["daemon", "stop"])
        stopped = wait_until(lambda: not daemons_in(folder), 20)
        for pid in daemons_in(folder):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)
    assert stopped, "a daemon did not stop when asked"


@pytest.fixture
def warm(warm_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The module's warm folder, with this test's changes to the environment undone after it."""
    monkeypatch.setenv("GRADER_DAEMON_DIR", str(warm_folder))
    monkeypatch.setenv("GRADER_NO_DAEMON", "0")
    return warm_folder


def running_daemon() -> dict:
    """The status of this install's daemon, started with a quick grade of the params reference if none runs."""
    status = client.control("status")
    if status is None:
        assert client.grade_file("params", ROOT / "reference" / "params.py", Settings(), []) is not None
        status = client.control("status")
    return status


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """torch with one thread in this process, as the command line and the daemon run it (a cold run's oracle values
    are then computed the same way)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def without_times(report: GradeReport) -> GradeReport:
    """The report with its wall-clock figures zeroed: the one thing two runs of a grade never share."""
    results = [dataclasses.replace(result, seconds=0.0) for result in report.results]
    return dataclasses.replace(report, seconds=0.0, results=results)


def differing(report: GradeReport, other: GradeReport) -> set[tuple[str, str]]:
    """(check, field) for each field of a check's result that differs between two grades, wall-clock times aside;
    the report's own fields must not differ at all."""
    report, other = without_times(report), without_times(other)
    assert dataclasses.replace(report, results=[]) == dataclasses.replace(other, results=[])
    assert [r.name for r in report.results] == [r.name for r in other.results]
    return {(mine.name, field.name) for mine, theirs in zip(report.results, other.results)
            for field in dataclasses.fields(mine) if getattr(mine, field.name) != getattr(theirs, field.name)}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_warm_check_gives_a_cold_runs_verdict_and_reports_on_every_bundled_example(
        warm: Path, one_torch_thread: None, example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(example.parent)  # the path as a student types it, relative to where they are
    assignment, path = example.parent.name, Path(example.name)
    settings = Settings("quick", seed=7 if example.suffix == ".ipynb" else None)
    formats = list(renderers())
    reply = client.grade_file(assignment, path, settings, [*formats, "report"])
    assert reply is not None, "the warm grader did not answer"
    warm_report, cold, cold_again = decode(reply["report"]), grade(assignment, path, settings), None
    if differing(warm_report, cold):  # only what two cold runs differ in may differ (lenet's secret weights)
        cold_again = grade(assignment, path, settings)
        assert differing(warm_report, cold) <= differing(cold, cold_again)
    else:
        assert reply["texts"]["terminal"] == render(cold, ["terminal"])["terminal"]
    assert [(r.status, r.score) for r in warm_report.results] == [(r.status, r.score) for r in cold.results]
    assert reply["texts"] == render(warm_report, formats)  # each text the daemon sent renders the report it sent
    assert reply["exit"] == (0 if cold.all_passed else 1)


def test_a_notebooks_check_through_the_warm_grader_equals_one_graded_in_the_kernel(
        warm: Path, one_torch_thread: None) -> None:
    history = [(SUBMISSIONS / "conv" / "correct_loops.py").read_text(),
               (SUBMISSIONS / "conv" / "mistakes" / "flipped_kernel.py").read_text()]
    graded_before = running_daemon()["graded"]
    report = grader.check("conv_forward", history=history)
    assert client.control("status")["graded"] == graded_before + 1, "not graded by the daemon"
    cells = tuple(SourceCell(source, f"In [{n}]", 1) for n, source in enumerate(history, start=1))
    in_the_kernel = grade_function("conv_forward", cells, Settings("quick"))
    assert without_times(GradeReport(**vars(report))) == without_times(in_the_kernel)
    assert "kernel flipped" in report._repr_html_() and "FAILED" in repr(report)
    with pytest.raises(ValueError, match="conv_forward"):
        grader.check("conv_forwards", history=history)


def test_a_warm_grade_reports_each_step_as_a_cold_one_does(warm: Path) -> None:
    path, warm_steps, cold_steps = ROOT / "reference" / "params.py", [], []
    assert client.grade_file("params", path, Settings(), ["terminal"], warm_steps.append) is not None
    grade("params", path, Settings(), cold_steps.append)
    assert warm_steps == cold_steps and len(warm_steps) > 1  # the live line a terminal or a notebook shows


def test_student_code_runs_in_a_sandbox_child_never_in_the_daemon(warm: Path, tmp_path: Path) -> None:
    probe = tmp_path / "conv.py"
    probe.write_text("import os\nprint('pid', os.getpid(), 'parent', os.getppid())\n")
    daemon = running_daemon()["pid"]
    reply = client.grade_file("conv", probe, Settings("quick"), ["report"])
    printed = decode(reply["report"]).load_output.split()
    assert printed[0] == "pid" and daemon not in (int(printed[1]), int(printed[3]))


def test_the_daemons_folder_and_socket_open_to_their_owner_only(warm: Path) -> None:
    running_daemon()
    (socket_file,) = warm.glob("*.sock")
    for path, mode in ((warm, 0o700), (socket_file, 0o600)):
        info = path.stat()
        assert (info.st_uid, info.st_mode & 0o777) == (os.getuid(), mode)


@pytest.mark.parametrize("mode", [0o755, 0o770])
def test_a_folder_open_to_others_is_refused_and_the_check_grades_cold(
        tmp_path: Path, mode: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(mode)
    monkeypatch.setenv("GRADER_DAEMON_DIR", str(folder))
    monkeypatch.setenv("GRADER_NO_DAEMON", "0")
    with pytest.raises(PlaceError, match="chmod 700"):
        place_of(Install.this_one())
    assert main(["check", "params", str(ROOT / "reference" / "params.py")]) == 0
    out, err = capsys.readouterr()
    assert "all passed" in out and "open to other users" in err and not list(folder.iterdir())


def another_users_socket(folder: Path) -> tuple[Path, int]:
    """A socket listening in ``folder`` (open to all), made by a forked process that became user nobody."""
    path = folder / "theirs.sock"
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the other user: listen, say so, wait to be killed
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(path))
            listener.listen(4)
            os.write(ready_write, b"x")
            while True:
                listener.accept()[0].recv(1)
        finally:
            os._exit(0)
    os.read(ready_read, 1)
    return path, pid


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as a second user (nobody)")
def test_a_client_does_not_trust_a_socket_of_another_user() -> None:
    folder = Path(tempfile.mkdtemp(prefix="grader-theirs-"))
    folder.chmod(0o1777)  # nobody may create a socket here
    path, pid = another_users_socket(folder)
    try:
        theirs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        theirs.connect(str(path))
        assert frames.peer(theirs)[1] == NOBODY  # what each end reads of the other: the kernel's record
        theirs.close()
        place = Place(folder, "theirs")
        with pytest.raises(client.Unavailable, match="another user's"):
            with client.connected(place, Install.this_one(), start=False):
                pass
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as a second user (nobody)")
def test_the_daemon_answers_nothing_to_another_user(warm: Path) -> None:
    running_daemon()
    (socket_file,) = warm.glob("*.sock")
    warm.chmod(0o711)  # let nobody reach the socket file, so that only the daemon's own check stands in the way
    socket_file.chmod(0o666)
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.connect(str(socket_file))
                frames.send(connection, {"op": "status"})
                os.write(write, repr(frames.receive(connection, 10)).encode())
            except Exception as error:
                os.write(write, f"refused: {type(error).__name__}: {error}".encode())
            finally:
                os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        answer = os.read(read, 4096).decode()
    finally:
        warm.chmod(0o700)
        socket_file.chmod(0o600)
    assert answer.startswith("refused: "), answer  # hung up on, before or after it asked
    assert f"refused a connection from uid {NOBODY}" in next(warm.glob("*.log")).read_text()


def test_a_course_daemon_says_usage_errors_restarts_when_a_file_changes_and_is_replaced_when_killed(
        warm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "examples" / "course", course)
    monkeypatch.setenv("GRADER_COURSE", str(course))
    solution = str((course / "reference" / "relu.py").rename(tmp_path / "relu.py"))  # a course without its reference
    try:
        with pytest.raises(SystemExit) as usage:  # found by the daemon, said as a cold run says it
            main(["check", "relu", solution, "--oracle", "reference"])
        err = capsys.readouterr().err
        assert usage.value.code == 2 and "--oracle reference needs reference/relu.py" in err
        assert "grading without it" not in err and client.control("status") is not None
        assert main(["check", "relu", solution]) == 0
        first = client.control("status")["pid"]
        with (course / "suites" / "relu.py").open("a") as suite:
            suite.write("\n# edited: the daemon must not grade with the old suite\n")
        assert main(["check", "relu", solution]) == 0
        second = client.control("status")
        assert second["pid"] != first and second["fresh"] and wait_until(lambda: not os.path.exists(f"/proc/{first}"))
        os.kill(second["pid"], signal.SIGKILL)  # gone without a word: its socket file stays behind
        assert wait_until(lambda: not os.path.exists(f"/proc/{second['pid']}"))
        assert main(["check", "relu", solution]) == 0
        assert client.control("status")["pid"] not in (first, second["pid"])
        assert "grading without it" not in capsys.readouterr().err
    finally:
        main(["daemon", "stop"])


def test_a_hung_daemon_is_stopped_and_the_check_grades_cold(
        warm: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    folder = Path(tempfile.mkdtemp(prefix="grader-hung-"))
    monkeypatch.setenv("GRADER_DAEMON_DIR", str(folder))
    monkeypatch.setattr(client, "SILENCE_SECONDS", 1.0)
    socket_path = place_of(Install.this_one()).socket
    hung = subprocess.Popen([sys.executable, "-c", f"""
import socket, time
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind({str(socket_path)!r})
listener.listen(4)
print("listening", flush=True)
connection = listener.accept()[0]
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert hung.stdout.readline() == "listening\n"
        assert main(["check", "params", str(ROOT / "reference" / "params.py")]) == 0
        out, err = capsys.readouterr()
        assert "all passed" in out and "stopped answering" in err
        assert hung.wait(timeout=10) == -signal.SIGKILL
    finally:
        if hung.poll() is None:
            hung.kill()
            hung.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_an_idle_daemon_stops_and_gives_up_its_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(tempfile.mkdtemp(prefix="grader-idle-"))
    monkeypatch.setenv("GRADER_DAEMON_DIR", str(folder))
    monkeypatch.setenv("GRADER_DAEMON_IDLE", "1")
    install = Install.this_one()
    place = place_of(install)
    try:
        client.launch(place, install).close()
        assert daemons_in(folder) and place.socket.exists()
        assert wait_until(lambda: not daemons_in(folder), 30), "the idle daemon did not stop"
        assert not place.socket.exists() and "idle for 1 s" in place.log.read_text()
    finally:
        for pid in daemons_in(folder):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("switch", ["--no-daemon", "GRADER_NO_DAEMON=1"])
def test_the_switch_grades_in_this_process_without_a_daemon(
        switch: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    folder = Path(tempfile.mkdtemp(prefix="grader-off-"))
    monkeypatch.setenv("GRADER_DAEMON_DIR", str(folder))
    monkeypatch.setenv("GRADER_NO_DAEMON", "1" if switch.startswith("GRADER") else "0")
    options = ["--no-daemon"] if switch.startswith("--") else []
    try:
        assert main(["check", "params", str(ROOT / "reference" / "params.py"), *options]) == 0
        assert "all passed" in capsys.readouterr().out
        assert not list(folder.iterdir()) and not daemons_in(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_installs_that_differ_in_python_code_or_course_have_daemons_of_their_own() -> None:
    here = Install.this_one()
    others = [dataclasses.replace(here, python="/other/venv/bin/python"),
              dataclasses.replace(here, grader="/other/checkout/grader"),
              dataclasses.replace(here, reference=""), dataclasses.replace(here, courses=("/a/course",))]
    assert len({install.key for install in [here, *others]}) == 5
    assert here.key == Install.this_one().key


def test_the_codec_rebuilds_only_the_graders_own_dataclasses_and_enumerations() -> None:
    value = (Settings("thorough", seed=3, data_dir=Path("/data")), {"a": [1.5, float("inf")], 2: (None, True)})
    assert decode(encode(value)) == value
    for name in ("subprocess:Popen", "os:system", "grader.warm.client:Unavailable", "signal:Signals"):
        with pytest.raises(ValueError):
            decode({"dataclass": name, "fields": {}})
        with pytest.raises(ValueError):
            decode({"enum": name, "value": 9})
    with pytest.raises(TypeError):
        encode(object())


def test_a_grade_sees_the_clients_environment_and_folder_then_the_daemons_again(tmp_path: Path) -> None:
    before, here = dict(os.environ), os.getcwd()
    with clients_view({"GRADER_DATA_DIR": "/their/mnist"}, str(tmp_path)):
        assert dict(os.environ) == {"GRADER_DATA_DIR": "/their/mnist"} and os.getcwd() == str(tmp_path)
    assert dict(os.environ) == before and os.getcwd() == here


def test_watch_checks_now_and_once_after_each_save_however_it_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # What each poll sees of the file: a save in three writes (checked once, when it has settled), then an editor that
    # removes the file and renames a new one into its place (waited for, then checked once).
    polls, seen = iter(["a", "a", "b1", "b2", "b3", "b3", "b3", None, None, "c", "c", "c"]), []
    monkeypatch.setattr("grader.warm.watch.stamp", lambda path: seen.append(next(polls)) or seen[-1])
    checked: list[str] = []
    with pytest.raises(StopIteration):  # the script ran out: the watch would go on
        watch(Path("conv.py"), lambda: checked.append(seen[-1]), poll_seconds=0)
    assert checked == ["a", "b3", "c"]


class DropsCtrlC:
    """An object whose finaliser gets the Ctrl-C: Python prints the KeyboardInterrupt raised there and drops it,
    as it does for one that lands in a garbage-collector or weakref callback while a grade runs."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)


def test_watch_stops_after_a_ctrl_c_that_python_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = iter(["a", "a", "b", "b", "c", "c", "c"])  # the file is saved twice: only the first save is checked
    monkeypatch.setattr("grader.warm.watch.stamp", lambda path: next(polls))
    dropped: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: dropped.append(unraisable.exc_type))
    checked: list[int] = []

    def check() -> None:
        checked.append(len(checked))
        if len(checked) == 2:
            DropsCtrlC()

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal's foreground job has it
    try:
        watch(Path("conv.py"), check, poll_seconds=0)  # without the remembered Ctrl-C: StopIteration, it goes on
        after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, before)
    assert dropped == [KeyboardInterrupt] and checked == [0, 1] and after is signal.default_int_handler


def test_grader_daemon_status_and_stop(warm: Path, capsys: pytest.CaptureFixture) -> None:
    pid = running_daemon()["pid"]
    assert main(["daemon", "status"]) == 0 and f"warm grader pid {pid}" in capsys.readouterr().out
    assert main(["daemon", "stop"]) == 0 and capsys.readouterr().out == f"stopped the warm grader (pid {pid})\n"
    assert wait_until(lambda: not daemons_in(warm)) and not list(warm.glob("*.sock"))
    assert main(["daemon", "status"]) == 0 and "no warm grader is running" in capsys.readouterr().out


def test_grader_watch_prints_a_new_verdict_when_the_file_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "params.py"
    shutil.copy(ROOT / "reference" / "params.py", path)
    watching = subprocess.Popen([*AS_A_FOREGROUND_JOB, "-m", "grader.cli", "watch", "params",
                                 str(path), "--no-daemon"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        lines = iter(watching.stdout.readline, "")
        assert "Watching" in next(lines)
        assert any(line.startswith("params: ") and "all passed" in line for line in lines)
        saved = tmp_path / "params.py.new"  # saved whole, as editors do: a half-written file would start a grade
        saved.write_text(path.read_text().replace("def linear_param_count", "def renamed_param_count"))
        os.replace(saved, path)
        assert any(line.startswith("params: ") and "all passed" not in line for line in lines)
        watching.send_signal(signal.SIGINT)
        assert watching.wait(timeout=30) == 0
    finally:
        if watching.poll() is None:
            watching.kill()
            watching.wait()
