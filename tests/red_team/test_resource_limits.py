"""Attacks on the machine's share of other submissions (issue 23): the limits are one submission's totals, not
each process's. Memory held by several processes at once, fork and thread bombs, a scratch folder filled past its
cap, other cores, sockets of every family, the grader's descriptors, and CPU time bought with spinning threads.

Each attack runs as the suite's policy has it (a child is one process), where a policy allows processes (only
where cgroups count them: as root on this machine), and with ``GRADER_CGROUPS=none`` (the fallback of a machine
that delegates no cgroup), as root and, through tests/test_as_ordinary_user.py, as an ordinary user.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import os
from pathlib import Path
from typing import Iterator

import pytest

from grader.batch.executor import LocalExecutor
from grader.results import TIMED_OUT
from grader.runner import grade_submission
from grader.sandbox import cgroups, cores
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.policy import Policy
from grader.sandbox.process import Sandbox
from grader.settings import Settings
from grader.submission import load_submission
from grader.suites import get_suite
from red_team.attacking import World, allowing_processes, build, processes_named, wait_until

LIMITS = {"memory_mib": 512, "processes": 64, "scratch_mib": 32, "call_seconds": 30.0}


@pytest.fixture
def no_cgroups(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The grader believes no cgroup is delegated (as in a container or on a laptop that delegates none)."""
    monkeypatch.setenv(cgroups.SWITCH, "none")
    cgroups.delegations.cache_clear()
    yield
    monkeypatch.undo()
    cgroups.delegations.cache_clear()


def policy(subprocesses: bool = False) -> Policy:
    """params' policy with small limits (a bomb stops early), letting children start processes if asked."""
    if subprocesses:
        allowing_processes()
    base = get_suite("params").policy
    return dataclasses.replace(base, subprocesses=subprocesses, limits=dataclasses.replace(base.limits, **LIMITS))


@pytest.fixture
def attack(tmp_path: Path, world: World):
    """Open a sandbox on the attack submission with a policy: ``with attack(policy()) as box: box.call(...)``."""
    path = build(tmp_path / "sub", "params", "takes_the_machine.py", world.places(), base=None)

    def sandbox(chosen: Policy) -> Sandbox:
        box = Sandbox(load_submission(path, "params"), chosen)
        box.load()
        return box

    return sandbox


def strict_only(box: Sandbox) -> None:
    if not box.level.startswith("strict"):
        box.close()
        pytest.skip(f"these limits are the strict sandbox's; this machine gives {box.level}")


def memory_held(box: Sandbox) -> int:
    """MiB that four processes held at once, each touching 256 MiB (1 GiB asked for, 512 MiB allowed); a child
    killed for its memory held no more than its limit."""
    try:
        return box.call("hold_memory", 4, 256).value
    except StudentCodeError as error:
        assert error.kind == "crash" and "SIGKILL" in error.message, error.message
        return 0


def test_memory_held_by_one_submission_stays_within_its_limit(attack) -> None:
    with attack(policy()) as box:
        held = memory_held(box)
    assert held <= LIMITS["memory_mib"] * 1.1, f"held {held} MiB with a limit of {LIMITS['memory_mib']} MiB"


def test_memory_held_by_several_processes_stays_within_the_limit_where_they_may_start(attack) -> None:
    with attack(policy(subprocesses=True)) as box:
        assert "memory 512 MiB by cgroup" in box.level
        held = memory_held(box)
    assert held <= LIMITS["memory_mib"] * 1.1, f"held {held} MiB with a limit of {LIMITS['memory_mib']} MiB"


def test_without_cgroups_a_policy_that_allows_processes_gets_one(attack, no_cgroups) -> None:
    """Where no cgroup could total them, processes are refused whatever the policy: every limit stays a total."""
    with attack(dataclasses.replace(policy(), subprocesses=True)) as box:
        strict_only(box)
        assert "processes 1" in box.level and "cgroup" not in box.level
        assert box.call("fork_bomb", 10).value == 0
        held = memory_held(box)
    assert held <= LIMITS["memory_mib"] * 1.1


def test_a_fork_bomb_starts_nothing(attack, world: World) -> None:
    with attack(policy()) as box:
        strict_only(box)
        assert box.call("fork_bomb", 300).value == 0
    assert not processes_named(world.token)


def test_a_fork_bomb_stops_at_the_process_limit_where_processes_may_start(attack, world: World) -> None:
    with attack(policy(subprocesses=True)) as box:
        assert box.call("fork_bomb", 300).value < LIMITS["processes"]
    assert wait_until(lambda: not processes_named(world.token), 5)


@pytest.mark.parametrize("delegated", [True, False], ids=["cgroups-as-found", "no-cgroups"])
def test_a_thread_bomb_stops_at_the_limit(attack, delegated: bool, request: pytest.FixtureRequest) -> None:
    if not delegated:
        request.getfixturevalue("no_cgroups")
    with attack(policy()) as box:
        strict_only(box)
        assert f"threads {LIMITS['processes']} by " in box.level and "threads 64 by not held" not in box.level
        assert box.call("thread_bomb", 1000).value < LIMITS["processes"]


def test_the_scratch_folder_is_a_capped_tmpfs_that_dies_with_the_child(attack) -> None:
    """16 MiB files until the cap: ENOSPC at 32 MiB, nothing of it on the grader's disk, and gone afterwards."""
    with attack(policy()) as box:
        strict_only(box)
        written, error, scratch = box.call("fill_scratch", 16, 8).value
        on_disk = list(Path(scratch).iterdir())
    assert error == errno.errorcode[errno.ENOSPC] and written <= LIMITS["scratch_mib"]
    assert on_disk == [], "the child's files reached the grader's disk"
    assert not Path(scratch).exists()


def test_the_child_keeps_the_cores_it_was_given(attack) -> None:
    with attack(policy()) as box:
        strict_only(box)
        cores, moved = box.call("other_cores").value
    assert cores == sorted(os.sched_getaffinity(0)) and moved == "PermissionError"


def cores_once_both_run(folder: str) -> list[int]:
    """A batch job: this worker's cores, once the other worker's job has started too (so each worker runs one)."""
    Path(folder, str(os.getpid())).touch()
    assert wait_until(lambda: len(os.listdir(folder)) >= 2, 120), "the second worker never started its job"
    return sorted(os.sched_getaffinity(0))


def test_each_batch_worker_keeps_to_cores_of_its_own(tmp_path: Path) -> None:
    """What a spinning submission's child inherits: its worker's share, which the child cannot leave (above)."""
    with LocalExecutor(2) as pool:
        seen = sorted(future.result() for future in [pool.submit(functools.partial(cores_once_both_run, str(tmp_path)))
                                                     for _ in range(2)])
    mine = sorted(os.sched_getaffinity(0))
    assert seen == sorted(sorted(cores.share(worker, 2, mine)) for worker in range(2))
    assert len(mine) < 2 or not set(seen[0]) & set(seen[1])


def test_no_socket_of_any_family_opens(attack) -> None:
    """vsock reaches a virtual machine's host whatever the network namespace; netlink, raw packets, Unix sockets."""
    with attack(policy()) as box:
        strict_only(box)
        found = box.call("sockets").value
    assert set(found.values()) == {"PermissionError"}, found


def test_no_descriptor_is_inherited_but_the_wire(attack) -> None:
    """0 (/dev/null), 1 and 2 (the captured output), the request and the reply pipes: nothing of the zygote's."""
    with attack(policy()) as box:
        found = box.call("descriptors").value
    assert sorted(found, key=int)[:3] == ["0", "1", "2"] and len(found) == 5, found
    assert found["0"] == "/dev/null" and found["1"] == found["2"]
    assert all(target.startswith("pipe:") for name, target in found.items() if name != "0"), found


def test_spinning_threads_use_up_the_submissions_cpu_time_budget(tmp_path: Path, world: World, limits) -> None:
    """Threads that spin on work that releases the GIL: the budget (2 s) counts their CPU time, so the submission
    is stopped when they have used it, however long the call may still run (30 s)."""
    limits("params", call_seconds=30.0)
    text = (Path(__file__).parent / "attacks" / "params" / "takes_the_machine.py").read_text()
    path = tmp_path / "params.py"
    spinning = "\n\ndef conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):\n    spin_threads(3)\n"
    path.write_text(text.replace("@PLACES@", "{}") + spinning)
    report = grade_submission("params", load_submission(path, "params"), Settings("quick", budget_seconds=2))
    spun = report.results[0]
    assert "used up its CPU time" in spun.message, spun.message
    later = report.results[report.results.index(spun) + 1:]
    assert later and all(r.status == TIMED_OUT and "of CPU time" in r.message for r in later), \
        [(r.name, r.message) for r in later]
