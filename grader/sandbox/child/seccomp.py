"""A seccomp filter for the sandbox child: system calls that reach outside it fail with an error.

Loaded by the child by file path (standard library only) and applied after Landlock, before student code.
Landlock and the namespaces do not cover these doors: sockets of every address family (Unix sockets by path
such as ssh-agent, D-Bus or docker; vsock, which reaches a VM's host whatever the network namespace; netlink;
raw packets), System V shared memory and semaphores (which outlive the child and are shared between users),
the kernel keyrings, ``ptrace``, cross-process memory and another process's file descriptors, new namespaces,
``io_uring`` (which would open sockets without the ``socket`` call), ``chmod``/``chown``/``utime``/extended
attributes on files the grader's user owns, and ``sched_setaffinity`` (the child keeps the cores it was given).
Where the policy refuses processes, ``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD`` and ``execve`` are
refused too, so that the child is one process (of threads) and every per-process limit is one per submission.
Each refused call returns an error (``EACCES`` or ``EPERM``) that student code sees as an ``OSError``;
``clone3`` returns ``ENOSYS`` so that the C library falls back to ``clone``, whose flags the filter can read.

Hand-written classic BPF rather than libseccomp's bindings: the child may read only the standard library and
its preloaded packages (a numpy-only child cannot import anything else), and the program is a few dozen
instructions built from the table below.
"""

from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
NR_OFFSET, ARCH_OFFSET, ARG0_OFFSET = 0, 4, 16  # struct seccomp_data; args are little-endian u64s
CLONE_THREAD = 0x00010000
NEW_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
X32_BIT = 0x40000000

# Per architecture: its audit number, then the calls refused outright, and the calls refused for some first
# argument (socket families, clone flags). Numbers from the kernel's syscall tables.
ARCHITECTURES = {
    "x86_64": {
        "audit": 0xC000003E,
        "refused": {
            "SysV IPC": (29, 30, 31, 67, 64, 65, 66, 220, 68, 69, 70, 71),
            "keyrings": (248, 249, 250),
            "ptrace": (101, 310, 311),
            "namespaces": (272, 308),
            "io_uring": (425, 426, 427),
            "file owners and modes": (90, 91, 268, 452, 92, 93, 94, 260, 132, 235, 280, 261,
                                      188, 189, 190, 197, 198, 199, 463, 466),
            "sockets": (41, 53),
            "other processes' descriptors": (438,),
            "cores": (203,),
        },
        "processes": (57, 58, 59, 322),  # fork, vfork, execve, execveat
        "clone": 56,
    },
    "aarch64": {
        "audit": 0xC00000B7,
        "refused": {
            "SysV IPC": (186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197),
            "keyrings": (217, 218, 219),
            "ptrace": (117, 270, 271),
            "namespaces": (97, 268),
            "io_uring": (425, 426, 427),
            "file owners and modes": (52, 53, 452, 54, 55, 88, 5, 6, 7, 14, 15, 16, 463, 466),
            "sockets": (198, 199),
            "other processes' descriptors": (438,),
            "cores": (122,),
        },
        "processes": (221, 281),  # execve, execveat (arm64 forks through clone only)
        "clone": 220,
    },
}
CLONE3 = 435


class Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Instruction))]


def refuse(code: int) -> tuple[int, int, int, int]:
    return (RET_K, 0, 0, RET_ERRNO | code)


def clone_rule(number: int, processes: bool) -> list[tuple[int, int, int, int]]:
    """``clone`` (call ``number``) refused when its flags ask for a new namespace or, where ``processes`` is False,
    for anything but a thread (no ``CLONE_THREAD``); allowed otherwise."""
    body = [(LD_W_ABS, 0, 0, ARG0_OFFSET), (JSET_K, 0, 1, NEW_NAMESPACES), refuse(errno.EPERM)]
    if not processes:
        body += [(JSET_K, 1, 0, CLONE_THREAD), refuse(errno.EPERM)]
    body.append((RET_K, 0, 0, RET_ALLOW))
    return [(JEQ_K, 0, len(body), number), *body]


def program(machine: str, processes: bool) -> list[tuple[int, int, int, int]]:
    """The filter for ``machine``: other architectures' calls (i386 through ``int 0x80``, x32) are refused, and so
    are new processes and programs unless ``processes``."""
    table = ARCHITECTURES[machine]
    code = [(LD_W_ABS, 0, 0, ARCH_OFFSET), (JEQ_K, 1, 0, table["audit"]), refuse(errno.ENOSYS),
            (LD_W_ABS, 0, 0, NR_OFFSET)]
    if machine == "x86_64":
        code += [(JGE_K, 0, 1, X32_BIT), refuse(errno.ENOSYS)]
    refused = [(n, errno.EACCES if door == "sockets" else errno.EPERM)
               for door, numbers in table["refused"].items() for n in numbers]
    refused += [] if processes else [(n, errno.EPERM) for n in table["processes"]]
    for number, code_refused in refused:
        code += [(JEQ_K, 0, 1, number), refuse(code_refused)]
    code += [(JEQ_K, 0, 1, CLONE3), refuse(errno.ENOSYS)]
    return code + clone_rule(table["clone"], processes) + [(RET_K, 0, 0, RET_ALLOW)]


def install(processes: bool) -> None:
    """Apply the filter to this (single-threaded, freshly forked) process and all it starts.

    Raises OSError where the kernel refuses the filter or the architecture has no table here.
    """
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise OSError(errno.ENOTSUP, f"no seccomp table for {machine}")
    code = program(machine, processes)
    instructions = (Instruction * len(code))(*(Instruction(*entry) for entry in code))
    libc = ctypes.CDLL(None, use_errno=True)
    for args in ((PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
                 (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(Program(len(code), instructions)), 0, 0)):
        if libc.prctl(*args) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"seccomp: {errno.errorcode.get(error, error)}")
