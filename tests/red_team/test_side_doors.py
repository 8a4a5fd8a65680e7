"""Doors out of the sandbox that file rules and the network namespace leave open: Unix sockets by path, System V
shared memory, the keyrings, /dev/shm (where a non-root batch pool keeps its semaphores), terminals, other
processes' command lines, ptrace, new namespaces, io_uring, and the modes of files the grader's user owns.

Each test tries one door from ``receptive_field`` and checks both what the child saw (``CLOSED``) and, where it
can, the outside: nothing reached the listener, no segment is left, the file outside is unchanged (``world``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import platform
import secrets
import socket
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from grader.results import GradeReport
from red_team.attacking import World, assert_contained, build, grade_attack, output

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64", reason="the attack calls x86_64 system calls by number")


def try_door(tmp_path: Path, world: World, door: str, **places: object) -> GradeReport:
    """Grade the side-door attack on ``door``; receptive_field (the attacked function) scores nothing."""
    path = build(tmp_path / "sub", "params", "side_doors.py",
                 world.places(door=door, sentinel=str(world.outside / "sentinel.txt"), **places))
    report = grade_attack(path, "params", {"receptive_field"})
    assert_contained(report, {"receptive_field"}, {"receptive_field"})
    return report


def assert_closed(report: GradeReport) -> None:
    text = output(report)
    if not report.sandbox.startswith("strict"):
        pytest.skip(f"these doors are closed by the strict sandbox only; this machine gives {report.sandbox}")
    assert "CLOSED" in text and "OPEN" not in text, text


def unix_server(kind: int) -> Iterator[socket.socket]:
    """A Unix socket anyone may reach (mode 0777), outside the submission, as ssh-agent or D-Bus would be."""
    folder = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))  # short: socket paths hold at most 107 bytes
    folder.chmod(0o755)
    path = folder / "agent.sock"
    with socket.socket(socket.AF_UNIX, kind) as server:
        server.bind(str(path))
        path.chmod(0o777)
        if kind == socket.SOCK_STREAM:
            server.listen()
        server.settimeout(0.5)
        yield server
    path.unlink()
    folder.rmdir()


@pytest.fixture
def unix_listener() -> Iterator[socket.socket]:
    yield from unix_server(socket.SOCK_STREAM)


@pytest.fixture
def unix_datagrams() -> Iterator[socket.socket]:
    yield from unix_server(socket.SOCK_DGRAM)


def test_a_unix_socket_outside_cannot_be_reached_by_path(tmp_path: Path, world: World, unix_listener) -> None:
    report = try_door(tmp_path, world, "unix_socket", unix_socket=unix_listener.getsockname())
    assert_closed(report)
    with pytest.raises((TimeoutError, socket.timeout)):
        unix_listener.accept()


def test_no_datagram_reaches_a_unix_socket_outside(tmp_path: Path, world: World, unix_datagrams) -> None:
    """A datagram socket from socketpair() may be aimed at any path with sendto()."""
    assert_closed(try_door(tmp_path, world, "unix_datagram", unix_socket=unix_datagrams.getsockname()))
    with pytest.raises((TimeoutError, socket.timeout)):
        unix_datagrams.recv(100)


def sysv_keys() -> set[int]:
    """The keys of the System V shared memory segments this machine's (the grader's) IPC namespace holds."""
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[0]) for line in lines}


def test_system_v_shared_memory_is_refused_and_nothing_outlives_the_child(tmp_path: Path, world: World) -> None:
    key = secrets.randbelow(1 << 30) + 1
    assert_closed(try_door(tmp_path, world, "sysv_shared_memory", shm_key=key))
    assert key not in sysv_keys()


def add_session_key(description: str) -> None:
    """Put a secret in this process's session keyring, where the grader's own keys would be; skip if refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(248, b"user", description.encode(), b"the TA's secret", 15, -3) < 0:
        pytest.skip(f"this machine refuses keyrings: {os.strerror(ctypes.get_errno())}")


def test_the_graders_session_keyring_cannot_be_read(tmp_path: Path, world: World) -> None:
    description = f"red-team-{world.token}"
    add_session_key(description)
    assert_closed(try_door(tmp_path, world, "keyring", key_description=description))


def test_no_key_can_be_added(tmp_path: Path, world: World) -> None:
    assert_closed(try_door(tmp_path, world, "new_key"))


def test_dev_shm_and_the_worker_pools_semaphores_in_it_are_out_of_reach(tmp_path: Path, world: World) -> None:
    """A forkserver pool's semaphores are named files in /dev/shm; a child that could open them could hang a
    batch. The child sees an empty /dev/shm of its own, or none."""
    secret = Path("/dev/shm") / f"red-team-{world.token}"
    secret.write_bytes(b"another submission's shared tensor")
    semaphore = multiprocessing.get_context("forkserver").Semaphore()
    try:
        report = try_door(tmp_path, world, "dev_shm", shm_file=str(secret))
    finally:
        secret.unlink()
    assert_closed(report)
    assert "mp-" not in output(report) and semaphore.acquire(timeout=1)


def test_no_terminal_can_be_opened(tmp_path: Path, world: World) -> None:
    assert_closed(try_door(tmp_path, world, "terminal"))


def test_other_processes_command_lines_are_hidden(tmp_path: Path, world: World) -> None:
    assert_closed(try_door(tmp_path, world, "command_lines"))


def test_the_parent_cannot_be_traced(tmp_path: Path, world: World) -> None:
    assert_closed(try_door(tmp_path, world, "trace_the_parent"))


def test_the_parents_memory_cannot_be_read(tmp_path: Path, world: World) -> None:
    assert_closed(try_door(tmp_path, world, "read_parent_memory"))


def test_no_new_namespace_can_be_entered(tmp_path: Path, world: World) -> None:
    assert_closed(try_door(tmp_path, world, "new_namespace"))


def test_io_uring_is_refused(tmp_path: Path, world: World) -> None:
    """io_uring opens sockets and files without the system calls the filter reads."""
    assert_closed(try_door(tmp_path, world, "io_uring"))


def test_the_mode_and_times_of_a_file_outside_cannot_change(tmp_path: Path, world: World) -> None:
    """Landlock does not cover chmod or utime; as an ordinary user the child owns the grader's files."""
    assert_closed(try_door(tmp_path, world, "file_modes_outside"))


def test_the_level_names_each_part_of_the_strict_sandbox(tmp_path: Path, world: World) -> None:
    level = try_door(tmp_path, world, "new_key").sandbox
    if not level.startswith("strict"):
        pytest.skip(f"the strict sandbox is not available on this machine: {level}")
    for part in ("with /dev and /proc narrowed", "no network", "own IPC", "own /dev/shm", "fresh keyring", "seccomp"):
        assert part in level
