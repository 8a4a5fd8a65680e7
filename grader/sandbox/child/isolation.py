"""Linux namespaces and credentials for the sandbox child: no network, its own unprivileged user, its own IPC.

Loaded by file path in the forked child, before Landlock and before any student code. As root the child
enters a new network namespace (no interface but a loopback that is down: no TCP, no UDP), an IPC namespace
(System V objects it could create die with it and see no one else's) and a private mount namespace with a
small /dev/shm of its own and a size-capped tmpfs over its scratch folder, then becomes a user of its own
(``UID_BASE + pid``) so that process limits bind and it cannot touch other users' files. A Python installed
under a folder other users cannot enter (``/root``) is shown to that user through a tmpfs that holds only the
installation. As an ordinary user, the child enters new user, network, IPC and mount namespaces (mapping only
its own uid: the kernel counts RLIMIT_NPROC per user namespace, so the process limit binds there too), mounts
its own /dev/shm and scratch, then drops the capabilities that namespace gave it. Either way it joins a fresh
session keyring, so the grader's keys are not its own. Each step reports what it achieved; nothing here raises.
Whatever it writes in its scratch lives in that tmpfs and is gone when the child's last process ends.
"""

from __future__ import annotations

import ctypes
import os
import stat
from pathlib import Path
from typing import Callable

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x08000000, 0x10000000, 0x40000000
KEYCTL, KEYCTL_JOIN_SESSION_KEYRING = {"x86_64": 250, "aarch64": 219}, 1
SHM_MIB = 16  # a private /dev/shm for POSIX semaphores; tmpfs pages escape RLIMIT_AS (the child's limits count it)
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
UID_BASE = 2_000_000_000


def sandbox_uid(pid: int) -> int:
    """The user a child runs as when the grader is root: one per live child, outside any real account's range."""
    return UID_BASE + pid


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    """Move this process into new namespaces (the ``CLONE_NEW*`` flags)."""
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """mount(2), for this process's private mount namespace."""
    _check(_libc.mount(_c(source), _c(target), _c(fstype), flags, _c(data)), f"mount {target}")


def _c(text: str | None) -> bytes | None:
    """A C string argument, or NULL."""
    return text.encode() if text is not None else None


def _others_can_read(path: Path) -> bool:
    mode = path.stat().st_mode
    return bool(mode & stat.S_IROTH) and (not stat.S_ISDIR(mode) or bool(mode & stat.S_IXOTH))


def _hidden_ancestor(path: Path) -> tuple[Path, Path] | None:
    """The first folder above ``path`` that other users cannot enter, and its child on the way to ``path``."""
    for parent, child in zip(reversed(path.parents), list(reversed(path.parents))[1:] + [path]):
        if not parent.stat().st_mode & stat.S_IXOTH:
            return parent, child
    return None


def private_mounts() -> None:
    """A mount namespace of this process's own, whose changes no other process sees."""
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def closed_folders(paths: list[str]) -> dict[str, list[str]]:
    """The folders other users cannot enter above ``paths``, each with its children on the way to them (what
    ``expose`` shows). Computed once by the grader: every child of a run reads the same files."""
    closed: dict[str, set[str]] = {}
    for path in map(Path, paths):
        if path.exists() and (hidden := _hidden_ancestor(path)):
            closed.setdefault(str(hidden[0]), set()).add(str(hidden[1]))
    return {folder: sorted(children) for folder, children in closed.items()}


def unreadable_by_others(paths: list[str]) -> str:
    """The first of ``paths`` another user could not read even through ``expose`` (a closed file or folder of
    its own), or ''. Computed once by the grader."""
    for path in map(Path, paths):
        if path.exists() and not _others_can_read(path):
            return str(path)
    return ""


def expose(closed: dict[str, list[str]]) -> None:
    """Let other users reach paths that sit under closed folders (``closed_folders``): a tmpfs over each such
    folder holds just the children on the way to them."""
    for folder, children in closed.items():
        originals = {Path(child): os.open(child, os.O_PATH) for child in children}
        mount("tmpfs", str(folder), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for child, fd in originals.items():
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                child.mkdir()
            else:
                child.touch()
            mount(f"/proc/self/fd/{fd}", str(child), None, MS_BIND | MS_REC)
            os.close(fd)


def become_user(uid: int, scratch: str) -> None:
    """Give the scratch folder to ``uid`` and drop root for good (all capabilities go with it)."""
    os.chown(scratch, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def drop_capabilities() -> None:
    """Clear every capability a new user namespace granted (version 3 headers: two 32-bit words)."""
    data = (CapData * 2)()
    _check(_libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), data), "capset")


def map_own_user(uid: int, gid: int) -> None:
    """Inside a new user namespace, keep the same uid and gid (an unprivileged process may map only its own).
    ``uid`` and ``gid`` are read before the unshare: inside it, unmapped, they read as the overflow id 65534."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def private_shm() -> None:
    """Mount an empty, small /dev/shm of this mount namespace's own: the grader's (the batch pool's semaphores)
    and other children's are out of sight."""
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={SHM_MIB}m")


def capped_scratch(scratch: str, mib: int) -> str:
    """Mount a tmpfs of ``mib`` MiB over the scratch folder: writes past it fail with ENOSPC, and its files die
    with this mount namespace (the child's last process), whatever the grader does. Returns what holds."""
    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,size={mib}m")
    os.chdir(scratch)  # the folder the child stands in is now the tmpfs, not the disk beneath it
    return f"scratch {mib} MiB tmpfs"


def fresh_keyring() -> str:
    """Join a new anonymous session keyring, leaving the grader's session keys behind."""
    number = KEYCTL.get(os.uname().machine)
    if number is None or _libc.syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None) < 0:
        return f"grader's keyring ({os.strerror(ctypes.get_errno()) if number else 'no keyctl number'})"
    return "fresh keyring"


def isolate(closed: dict[str, list[str]], unreadable: str, scratch: str,
            scratch_mib: int) -> tuple[list[str], int | None]:
    """Apply what this machine allows; returns what holds (for the report) and the uid now in force, if changed.
    ``closed`` and ``unreadable`` describe the files the child reads (``closed_folders``, ``unreadable_by_others``).
    What holds names "own user" or "own user namespace" where the kernel counts this child's processes apart, and
    "scratch ... tmpfs" where its scratch folder is capped."""
    if os.geteuid() != 0:
        held, uid = isolate_as_user(scratch, scratch_mib), None
    else:
        held, uid = isolate_as_root(closed, unreadable, scratch, scratch_mib)
    return held + [fresh_keyring()], uid


def own_mounts(scratch: str, scratch_mib: int) -> list[str]:
    """In a mount namespace of this child's own: a private /dev/shm and a capped scratch folder (each step on its
    own), named as they hold."""
    return [attempt(private_shm, "own /dev/shm", "grader's /dev/shm"),
            attempt(lambda: capped_scratch(scratch, scratch_mib), "", "scratch not capped")]


def isolate_as_user(scratch: str, scratch_mib: int) -> list[str]:
    """New user, network, IPC and mount namespaces, then no capabilities left in them (user and network
    namespaces alone where the kernel refuses the others)."""
    uid, gid = os.getuid(), os.getgid()
    try:
        unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS)
        held = ["no network", "own IPC"]
    except OSError as refused:
        try:
            unshare(CLONE_NEWUSER | CLONE_NEWNET)
        except OSError as error:
            return [f"network open ({error})"]
        held = ["no network", f"shared IPC ({refused})"]
    try:
        map_own_user(uid, gid)
        if "own IPC" in held:
            mounts = attempt(lambda: mount(None, "/", None, MS_REC | MS_PRIVATE), "own mounts", "shared mounts")
            held += own_mounts(scratch, scratch_mib) if mounts == "own mounts" else [f"grader's /dev/shm ({mounts})"]
        drop_capabilities()
    except OSError as error:
        return [f"network open ({error})"]
    return held + ["own user namespace"]


def isolate_as_root(closed: dict[str, list[str]], unreadable: str, scratch: str,
                    scratch_mib: int) -> tuple[list[str], int | None]:
    """Each step on its own: a container may refuse namespaces (no CAP_SYS_ADMIN) yet allow the switch of user."""
    held = [attempt(lambda: unshare(CLONE_NEWNET), "no network", "network open"),
            attempt(lambda: unshare(CLONE_NEWIPC), "own IPC", "shared IPC")]
    mounts = attempt(lambda: (private_mounts(), expose(closed)), "own mounts", "shared mounts")
    held += own_mounts(scratch, scratch_mib) if mounts == "own mounts" else [f"grader's /dev/shm ({mounts})"]
    try:
        if unreadable or (closed and mounts != "own mounts"):
            raise OSError(f"other users cannot read {unreadable or next(iter(closed))}")
        uid = sandbox_uid(os.getpid())
        become_user(uid, scratch)
    except OSError as error:
        return held + [f"still root ({error})"], None
    return held + ["own user"], uid  # not its number: the level is part of records that must not vary by run


def attempt(step: Callable[[], object], success: str, failure: str) -> str:
    """Run one isolation step; name what it achieved (``success``, or what the step returns when that is ''), or
    what is missing and why."""
    try:
        achieved = step()
    except OSError as error:
        return f"{failure} ({error})"
    return success or str(achieved)
