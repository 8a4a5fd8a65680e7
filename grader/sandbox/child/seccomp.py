"""A seccomp filter for the sandbox child: system calls that reach outside it fail with an error.

Loaded by the child by file path (standard library only) and applied after Landlock, before student code.
Landlock and the namespaces do not cover these doors: Unix sockets by path (ssh-agent, D-Bus, docker), System
V shared memory and semaphores (which outlive the child and are shared between users), the kernel keyrings,
``ptrace`` and cross-process memory, new namespaces, ``io_uring`` (which would open sockets without the
``socket`` call), and ``chmod``/``chown``/``utime``/extended attributes on files the grader's user owns. Each
refused call returns an error (``EACCES`` or ``EPERM``) that student code sees as an ``OSError``;
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
AF_UNIX = 1
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
        },
        "socket": (41, 53),
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
        },
        "socket": (198, 199),
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


def refused_when(number: int, test: int, value: int, code: int) -> list[tuple[int, int, int, int]]:
    """Refuse call ``number`` when its first argument passes ``test`` (JEQ or JSET) against ``value``."""
    return [(JEQ_K, 0, 4, number), (LD_W_ABS, 0, 0, ARG0_OFFSET), (test, 0, 1, value), refuse(code),
            (RET_K, 0, 0, RET_ALLOW)]


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter for ``machine``: other architectures' calls (i386 through ``int 0x80``, x32) are refused."""
    table = ARCHITECTURES[machine]
    code = [(LD_W_ABS, 0, 0, ARCH_OFFSET), (JEQ_K, 1, 0, table["audit"]), refuse(errno.ENOSYS),
            (LD_W_ABS, 0, 0, NR_OFFSET)]
    if machine == "x86_64":
        code += [(JGE_K, 0, 1, X32_BIT), refuse(errno.ENOSYS)]
    for number in (n for numbers in table["refused"].values() for n in numbers):
        code += [(JEQ_K, 0, 1, number), refuse(errno.EPERM)]
    code += [(JEQ_K, 0, 1, CLONE3), refuse(errno.ENOSYS)]
    for number in table["socket"]:
        code += refused_when(number, JEQ_K, AF_UNIX, errno.EACCES)
    code += refused_when(table["clone"], JSET_K, NEW_NAMESPACES, errno.EPERM)
    return code + [(RET_K, 0, 0, RET_ALLOW)]


def install() -> str:
    """Apply the filter to this (single-threaded, freshly forked) process and all it starts; name what it refuses.

    Raises OSError where the kernel refuses the filter or the architecture has no table here.
    """
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise OSError(errno.ENOTSUP, f"no seccomp table for {machine}")
    code = program(machine)
    instructions = (Instruction * len(code))(*(Instruction(*entry) for entry in code))
    libc = ctypes.CDLL(None, use_errno=True)
    for args in ((PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
                 (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(Program(len(code), instructions)), 0, 0)):
        if libc.prctl(*args) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"seccomp: {errno.errorcode.get(error, error)}")
    return "seccomp"
