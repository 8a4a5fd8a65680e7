"""The strict sandbox on Linux: no network (UDP too), a user of its own when the grader is root, a process limit
that holds, and nothing left running after a child ends, even a process that left its group (where a policy lets
children start processes: only where cgroups count them, see tests/red_team/test_resource_limits.py)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.sandbox.cgroups import totals_held
from grader.sandbox.policy import Policy
from grader.sandbox.process import Sandbox
from grader.submission import load_submission
from grader.suites.framework import numpy_only

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

PROBES = '''
import os, socket, time

def send_udp(port):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"leak", ("127.0.0.1", port))
        return "sent"
    except OSError as error:
        return type(error).__name__

def whoami():
    return [os.getuid(), os.getgid(), len(os.getgroups())]

def leave_a_process_behind():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        time.sleep(600)
        os._exit(0)
    return pid

def write_scratch():
    try:
        with open("scratch-file", "wb") as handle:
            handle.write(b"x" * 4096)
        return "written"
    except OSError as error:
        return type(error).__name__

def fork_bomb():
    children = 0
    try:
        while children < 2000:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
    except OSError:
        pass
    return children
'''


def forking() -> Policy:
    """params' policy, letting the child start processes (which it may only where cgroups count them)."""
    if not totals_held():
        pytest.skip("no cgroups delegated to this user: children may not start processes (the fallback's tests "
                    "are in tests/red_team/test_resource_limits.py)")
    return dataclasses.replace(numpy_only("params"), subprocesses=True)


def strict_box(tmp_path: Path, policy: Policy):
    (tmp_path / "params.py").write_text(PROBES)
    with Sandbox(load_submission(tmp_path / "params.py", "params"), policy) as sandbox:
        sandbox.load()
        if not sandbox.level.startswith("strict"):
            pytest.skip(f"the strict sandbox is not available on this machine: {sandbox.level}")
        yield sandbox


@pytest.fixture
def box(tmp_path: Path):
    yield from strict_box(tmp_path, numpy_only("params"))


@pytest.fixture
def forking_box(tmp_path: Path):
    yield from strict_box(tmp_path, forking())


def test_the_level_in_force_is_named(box: Sandbox) -> None:
    assert "no network" in box.level and "Landlock ABI" in box.level


def test_udp_cannot_leave_the_child(box: Sandbox) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    assert box.call("send_udp", listener.getsockname()[1]).value != "sent"
    with pytest.raises(TimeoutError):
        listener.recvfrom(16)


@pytest.mark.skipif(os.geteuid() != 0, reason="the switch to a user of its own happens when the grader is root")
def test_as_root_the_child_runs_as_a_user_of_its_own(box: Sandbox) -> None:
    uid, gid, groups = box.call("whoami").value
    assert uid >= 2_000_000_000 and gid == uid and groups == 0
    assert "own user" in box.level


def test_a_process_that_leaves_its_group_dies_with_the_child(forking_box: Sandbox) -> None:
    stray = Path(f"/proc/{forking_box.call('leave_a_process_behind').value}/stat")
    assert stray.exists()
    forking_box.close()
    time.sleep(0.5)
    assert not stray.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the process limit binds a user of the child's own")
def test_a_fork_bomb_meets_the_process_limit(box: Sandbox) -> None:
    assert box.call("fork_bomb", seconds=30).value < 256


GRADER_THAT_DIES = '''
import dataclasses, sys, time
from pathlib import Path
from grader.sandbox.process import Sandbox
from grader.submission import load_submission
from grader.suites.framework import numpy_only
policy = dataclasses.replace(numpy_only("params"), subprocesses=True)
box = Sandbox(load_submission(Path(sys.argv[1]), "params"), policy)
box.load()
print(box.call("leave_a_process_behind").value, box.child.pid, flush=True)
time.sleep(600)
'''


def test_children_and_their_strays_die_when_the_grader_is_killed(tmp_path: Path) -> None:
    forking()
    (tmp_path / "params.py").write_text(PROBES)
    grader = subprocess.Popen([sys.executable, "-c", GRADER_THAT_DIES, str(tmp_path / "params.py")],
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    pids = [int(pid) for pid in grader.stdout.readline().split()]
    assert len(pids) == 2 and all(Path(f"/proc/{pid}").exists() for pid in pids)
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for init to reap it counts as dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


LEVEL = '''
import sys
from pathlib import Path
from grader.sandbox.process import Sandbox
from grader.submission import load_submission
from grader.suites.framework import numpy_only
with Sandbox(load_submission(Path(sys.argv[1]), "params"), numpy_only("params")) as box:
    box.load()
    print(box.call("write_scratch").value, box.level)
'''


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_without_namespaces_the_level_falls_back_and_says_why(tmp_path: Path) -> None:
    """As in a container that refuses unshare (Docker's default profile): the report names what is missing, and
    the scratch folder, which no tmpfs can cap there, is read-only."""
    (tmp_path / "params.py").write_text(PROBES)
    run = subprocess.run(["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", sys.executable, "-c", LEVEL,
                          str(tmp_path / "params.py")], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    written, level = run.stdout.strip().split(" ", 1)
    assert level.startswith(("landlock", "process")) and "network open" in level, run.stdout + run.stderr
    if level.startswith("landlock"):  # no mount namespace for a capped tmpfs: the scratch folder is read-only
        assert "scratch read-only" in level and written == "PermissionError", run.stdout


DATALOADER_WITH_WORKERS = '''
import torch

def batches_from_workers():
    data = torch.utils.data.TensorDataset(torch.zeros(16, 2), torch.zeros(16))
    return len(list(torch.utils.data.DataLoader(data, batch_size=4, num_workers=2)))
'''


def test_a_dataloader_with_workers_fails_at_once_with_what_to_do(tmp_path: Path) -> None:
    """Its workers hand tensors over Unix sockets, which the sandbox refuses: the student reads num_workers=0
    within the call's time limit, not a timeout."""
    from grader.sandbox.errors import StudentCodeError
    from grader.suites.framework import with_torch

    (tmp_path / "train.py").write_text(DATALOADER_WITH_WORKERS)
    with Sandbox(load_submission(tmp_path / "train.py", "train"), with_torch(30.0)) as sandbox:
        sandbox.load()
        if "seccomp" not in sandbox.level:
            pytest.skip(f"Unix sockets are refused by the seccomp filter only: {sandbox.level}")
        with pytest.raises(StudentCodeError, match="use num_workers=0") as raised:
            sandbox.call("batches_from_workers")
    assert raised.value.kind == "exception"
