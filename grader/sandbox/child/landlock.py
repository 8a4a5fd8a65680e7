"""Linux Landlock, unprivileged: the child narrows its own view of the filesystem before student code runs.

After ``restrict``, the process (and anything it starts) can read only the
listed folders (the interpreter, its libraries, system files), write only its
scratch folder, open no TCP connection and bind no TCP port (ABI 4+), and
signal no process outside itself (ABI 6+). What the grader keeps elsewhere,
``reference/``, the MNIST test set, other submissions, the output folder, is
out of reach. Loaded by the child by file path: standard library only.
"""

from __future__ import annotations

import ctypes
import os

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same numbers on every Linux architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ_RIGHTS = EXECUTE | READ_FILE | READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

_libc = ctypes.CDLL(None, use_errno=True)


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 where Landlock is missing or disabled."""
    version = _libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def handled_fs(abi: int) -> int:
    """Every filesystem right this ABI knows, so that anything not granted is denied."""
    rights = (1 << 13) - 1
    for version, right in ((2, REFER), (3, TRUNCATE), (5, IOCTL_DEV)):
        if abi >= version:
            rights |= right
    return rights


DEVICE_RIGHTS = READ_FILE | WRITE_FILE | READ_DIR | IOCTL_DEV


def restrict(readable: list[str], writable: list[str], devices: list[str]) -> int:
    """Confine this process to ``readable`` (read, execute), ``writable`` (everything) and ``devices``
    (open for reading and writing, as /dev/null or a GPU needs) folders.

    Returns the ABI version in force, or 0 where the kernel has no Landlock
    (the process then runs with its resource limits only).
    """
    abi = abi_version()
    if abi == 0:
        return 0
    everything = handled_fs(abi)
    attr = RulesetAttr(everything, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _check(_libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)))
    try:
        for paths, rights in ((readable, READ_RIGHTS), (writable, everything), (devices, DEVICE_RIGHTS)):
            for path in paths:
                _allow(ruleset, path, rights & everything)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        _check(_libc.syscall(RESTRICT_SELF, ruleset, ctypes.c_uint32(0)))
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset: int, path: str, rights: int) -> None:
    """Grant ``rights`` beneath ``path`` (file rights only, if it is a file); a missing path is skipped."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = PathBeneathAttr(rights, fd)
        _check(_libc.syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)))
    finally:
        os.close(fd)


def _check(result: int) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"landlock: {os.strerror(error)}")
    return result
