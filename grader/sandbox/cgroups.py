"""Control groups for sandbox children: memory, processes and CPU counted per submission, where the machine lets
the grader make groups.

Linux offers them as cgroup v2 (one hierarchy) or v1 (a hierarchy per controller, as on this course machine); a
container or a laptop may delegate neither. The grader looks once, per controller, for a folder it may make
groups in: in v1, its own group of that controller's hierarchy; in v2, a group that already hands the controller
to its children (its ``cgroup.subtree_control`` names it): the grader's own group's parent, or the root (a v2
group that holds processes, as the grader's own does, cannot hand controllers down). Each child gets a group per
hierarchy (``grader-PID-RANDOM``), joins it itself before it gives up root, and the grader kills what is left in
it and removes it when the child is gone; a group left by a grader that was killed is removed by the next one.
``GRADER_CGROUPS=none`` makes the grader believe that nothing is delegated: the fallback, testable anywhere.
"""

from __future__ import annotations

import functools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

WANTED = frozenset({"memory", "pids", "cpu", "cpuacct"})  # cpuacct: v1's CPU time (v2 counts it in every group)
SWITCH = "GRADER_CGROUPS"


@dataclass(frozen=True)
class Delegation:
    """A folder where this process may make groups, the hierarchy's version, and the controllers they get."""

    version: int
    folder: Path
    controllers: frozenset[str]


def mount_points(mountinfo: str) -> dict[str, tuple[Path, str]]:
    """Each cgroup hierarchy's mount point and the group it shows as its root, by its controllers (v1: "cpu,cpuacct"
    as the kernel lists them; v2: "")."""
    found: dict[str, tuple[Path, str]] = {}
    for line in mountinfo.splitlines():
        fields, _, tail = line.partition(" - ")
        fstype, _, options = (tail.split() + ["", "", ""])[:3]
        if fstype == "cgroup2":
            found.setdefault("", (Path(fields.split()[4]), fields.split()[3]))
        elif fstype == "cgroup":
            names = ",".join(sorted(set(options.split(",")) & WANTED))
            if names:
                found.setdefault(names, (Path(fields.split()[4]), fields.split()[3]))
    return found


def own_groups(cgroup: str) -> dict[str, str]:
    """This process's group in each hierarchy (``/proc/self/cgroup``), by the same keys as ``mount_points``."""
    groups = {}
    for line in cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        groups[",".join(sorted(set(controllers.split(",")) & WANTED))] = path
    return groups


def folder_of(mount: tuple[Path, str], group: str) -> Path | None:
    """Where ``group`` lies under a hierarchy's mount point, or None where that mount does not show it."""
    point, root = mount
    if root != "/" and group != root and not group.startswith(root + "/"):
        return None
    return point / group[len(root.rstrip("/")):].lstrip("/")


def v2_delegation(point: Path, folder: Path) -> Delegation | None:
    """The v2 group this process may make groups in: its own group's parent, or the hierarchy's root where it
    stands there; only where that group already hands controllers to its children."""
    candidate = folder if folder == point else folder.parent
    try:
        enabled = frozenset((candidate / "cgroup.subtree_control").read_text().split()) & WANTED
    except OSError:
        return None
    if not enabled or not (os.access(candidate, os.W_OK) and os.access(candidate / "cgroup.procs", os.W_OK)):
        return None
    return Delegation(2, candidate, enabled | {"cpuacct"})


@functools.cache
def delegations() -> tuple[Delegation, ...]:
    """Where this process may make groups for its children, one entry per hierarchy (computed once, after removing
    groups that dead graders left behind); () where nothing is delegated or ``GRADER_CGROUPS=none``."""
    if os.environ.get(SWITCH, "").lower() == "none":
        return ()
    try:
        mounts = mount_points(Path("/proc/self/mountinfo").read_text())
        groups = own_groups(Path("/proc/self/cgroup").read_text())
    except OSError:
        return ()
    found = []
    for key, mount in mounts.items():
        folder = folder_of(mount, groups.get(key, "/"))
        if folder is None or not folder.is_dir():
            continue
        if key == "":
            delegation = v2_delegation(mount[0], folder)
        else:
            writable = os.access(folder, os.W_OK) and os.access(folder / "cgroup.procs", os.W_OK)
            delegation = Delegation(1, folder, frozenset(key.split(","))) if writable else None
        if delegation is not None:
            remove_abandoned(delegation.folder)
            found.append(delegation)
    return tuple(found)


TOTALS = frozenset({"memory", "pids", "cpuacct"})  # what must be counted per child before it may start processes


def totals_held() -> bool:
    """Whether this machine's delegated cgroups total a child's memory, processes and CPU time: only then may a
    child whose policy allows it start processes (else each would have limits of its own)."""
    return TOTALS <= {controller for delegation in delegations() for controller in delegation.controllers}


def remove_abandoned(folder: Path) -> None:
    """Remove the empty groups of graders that are gone (killed before they could remove them)."""
    for group in folder.glob("grader-*-*"):
        try:
            os.kill(int(group.name.split("-")[1]), 0)
        except ProcessLookupError:
            try:
                group.rmdir()
            except OSError:
                pass
        except (ValueError, PermissionError):
            continue


class ChildGroups:
    """One child's groups: made with its limits before it starts, removed (with whatever runs in them) after."""

    def __init__(self, memory_mib: int, processes: int) -> None:
        self.made: list[tuple[Delegation, Path]] = []
        name = f"grader-{os.getpid()}-{secrets.token_hex(6)}"
        for delegation in delegations():
            folder = delegation.folder / name
            try:
                folder.mkdir()
                self.made.append((delegation, folder))
                limit(delegation, folder, memory_mib, processes)
            except OSError:
                continue  # a group refused here: the child goes without it, and its level says what holds
        self.controllers = frozenset(c for d, _ in self.made for c in d.controllers)

    @property
    def folders(self) -> list[str]:
        """The groups the child joins (writing its pid into each one's ``cgroup.procs``)."""
        return [str(folder) for _, folder in self.made]

    @property
    def label(self) -> str:
        """The cgroup versions in use, as the level line names them: ``cgroup v1`` (``cgroup v1+v2`` when mixed)."""
        return "cgroup v" + "+v".join(sorted({str(d.version) for d, _ in self.made}))

    def describe(self) -> str:
        """Which controllers hold and in which version, for the sandbox level: ``cgroup v1 cpu, memory, pids``."""
        shown = sorted(self.controllers - {"cpuacct"})
        return f"{self.label} {', '.join(shown)}" if shown else ""

    def config(self) -> dict[str, object]:
        """What the child needs to join its groups and name them."""
        return {"folders": self.folders, "controllers": sorted(self.controllers), "label": self.label,
                "description": self.describe()}

    def cpu_seconds(self) -> float | None:
        """CPU time used by every process that ever ran in these groups, or None where none counts it."""
        for delegation, folder in self.made:
            try:
                if delegation.version == 2:
                    stat = dict(line.split() for line in (folder / "cpu.stat").read_text().splitlines())
                    return int(stat["usage_usec"]) / 1e6
                if "cpuacct" in delegation.controllers:
                    return int((folder / "cpuacct.usage").read_text()) / 1e9
            except (OSError, KeyError, ValueError):
                continue
        return None

    def remove(self) -> None:
        """Kill whatever still runs in the groups (a process the child left behind), then remove them."""
        for _, folder in self.made:
            for _ in range(100):
                pids = [int(pid) for pid in read_or_empty(folder / "cgroup.procs").split()]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.01)
            remove_folder(folder)
        self.made = []


def limit(delegation: Delegation, folder: Path, memory_mib: int, processes: int) -> None:
    """Write a new group's limits: memory (swap included, where the kernel counts swap) and process count."""
    v2 = delegation.version == 2
    settings = {}
    if "memory" in delegation.controllers:
        settings["memory.max" if v2 else "memory.limit_in_bytes"] = str(memory_mib << 20)
    if "pids" in delegation.controllers:
        settings["pids.max"] = str(processes)
    for name, value in settings.items():
        (folder / name).write_text(value)
    swap = folder / ("memory.swap.max" if v2 else "memory.memsw.limit_in_bytes")
    if "memory" in delegation.controllers and swap.exists():
        swap.write_text("0" if v2 else str(memory_mib << 20))


def read_or_empty(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def remove_folder(folder: Path) -> None:
    """rmdir a group, retrying briefly: the kernel frees a group a moment after its last process is reaped."""
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)
