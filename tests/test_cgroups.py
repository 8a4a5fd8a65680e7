"""Where the sandbox finds cgroups it may use, and what it writes in them: v1 as on this machine and v2 as a
laptop or a container delegates it (a simulated hierarchy: this machine's v2 has no controllers; the limits
themselves are tested for real in tests/red_team/test_resource_limits.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox import cgroups

HYBRID = """\
30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
33 25 0:29 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
"""
HYBRID_GROUPS = "4:memory:/grading/ta\n3:cpu,cpuacct:/\n2:pids:/grading\n0::/\n"
CONTAINER = "700 650 0:31 /docker/abc /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"


def test_each_v1_hierarchy_is_found_with_the_graders_own_group_in_it() -> None:
    mounts, groups = cgroups.mount_points(HYBRID), cgroups.own_groups(HYBRID_GROUPS)
    assert set(mounts) == {"", "memory", "cpu,cpuacct", "pids"}
    assert cgroups.folder_of(mounts["memory"], groups["memory"]) == Path("/sys/fs/cgroup/memory/grading/ta")
    assert cgroups.folder_of(mounts["cpu,cpuacct"], groups["cpu,cpuacct"]) == Path("/sys/fs/cgroup/cpu,cpuacct")


def test_a_container_shows_its_own_group_as_the_root_of_v2() -> None:
    mount = cgroups.mount_points(CONTAINER)[""]
    assert cgroups.folder_of(mount, "/docker/abc/worker") == Path("/sys/fs/cgroup/worker")
    assert cgroups.folder_of(mount, "/elsewhere") is None


def v2_tree(root: Path, enabled: str) -> Path:
    """A v2 hierarchy where the grader's group (``grader``) sits under a group that enables ``enabled``."""
    parent = root / "user.slice"
    (parent / "grader").mkdir(parents=True)
    for folder in (root, parent, parent / "grader"):
        (folder / "cgroup.procs").write_text("")
    (parent / "cgroup.subtree_control").write_text(enabled)
    return parent


def test_v2_groups_are_made_beside_the_graders_own_where_its_parent_hands_controllers_down(tmp_path: Path) -> None:
    parent = v2_tree(tmp_path, "cpu memory pids\n")
    found = cgroups.v2_delegation(tmp_path, parent / "grader")
    assert found == cgroups.Delegation(2, parent, frozenset({"cpu", "memory", "pids", "cpuacct"}))
    assert cgroups.v2_delegation(tmp_path, v2_tree(tmp_path / "none", "\n") / "grader") is None


def test_a_v2_child_group_gets_its_memory_swap_and_process_limits_and_counts_cpu(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = v2_tree(tmp_path, "cpu memory pids\n")
    monkeypatch.setattr(cgroups, "delegations", lambda: (cgroups.v2_delegation(tmp_path, parent / "grader"),))
    original_mkdir = Path.mkdir

    def mkdir_like_cgroupfs(folder: Path, *args: object, **kwargs: object) -> None:
        original_mkdir(folder, *args, **kwargs)
        (folder / "memory.swap.max").write_text("max\n")
        (folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")

    monkeypatch.setattr(Path, "mkdir", mkdir_like_cgroupfs)
    groups = cgroups.ChildGroups(memory_mib=512, processes=64)
    (folder,) = map(Path, groups.folders)
    assert folder.parent == parent and folder.name.startswith("grader-")
    assert (folder / "memory.max").read_text() == str(512 << 20) and (folder / "pids.max").read_text() == "64"
    assert (folder / "memory.swap.max").read_text() == "0"
    assert groups.cpu_seconds() == 2.5 and groups.describe() == "cgroup v2 cpu, memory, pids"


def test_the_switch_makes_the_grader_believe_nothing_is_delegated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cgroups.SWITCH, "none")
    cgroups.delegations.cache_clear()
    try:
        assert cgroups.delegations() == () and not cgroups.totals_held()
        assert cgroups.ChildGroups(512, 64).folders == []
    finally:
        monkeypatch.undo()
        cgroups.delegations.cache_clear()
