"""What a submission's child may do: its limits, the libraries preloaded, the imports refused, and what of this
machine it may see (the files Landlock leaves readable, from ``readable``; the devices; its environment).

The grader decides all of it here; the child (``grader/sandbox/child/``) applies it to itself before student
code runs.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grader.sandbox.child import isolation
from grader.sandbox.readable import readable

CHILD = Path(__file__).with_name("child")

@dataclass(frozen=True)
class Limits:
    """What one submission's child may use, all its processes together (README, Security: how each one holds)."""

    call_seconds: float = 10.0
    load_seconds: float = 20.0
    memory_mib: int = 2048  # its processes, its scratch files and its /dev/shm together
    cpu_seconds: int = 600  # CPU time of one child; a submission's time budget also counts its CPU time
    file_size_mib: int = 16
    scratch_mib: int = 64  # its scratch folder, a tmpfs (memory, counted in memory_mib)
    output_bytes: int = 20_000
    flood_bytes: int = 4_000_000  # a call that prints more is stopped: draining a flood would take minutes
    processes: int = 256  # threads included


@dataclass(frozen=True)
class Policy:
    """How an assignment's submissions run: limits, modules preloaded, imports refused."""

    limits: Limits = field(default_factory=Limits)
    preload: tuple[str, ...] = ("numpy",)
    start_seconds: float = 60.0
    confine: bool = True  # namespaces, a user of its own and Landlock, as far as this machine allows
    subprocesses: bool = False  # may start processes: only where cgroups total their memory and count them
    threads: int = 1
    probe_modules: tuple[tuple[str, Path], ...] = ()  # (name, file) loaded in order; the last one's functions are probes
    blocked_imports: Mapping[str, str] = field(default_factory=dict)


@functools.cache
def child_sys_path(preload: tuple[str, ...]) -> tuple[str, ...]:
    """The import path a child needs for its preloaded libraries, and nothing of the grader's (computed once:
    every child of a run asks for it)."""
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    for name in preload:
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            paths.add(str(Path(spec.origin).resolve().parents[1]))
    stdlib = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]]
    dynload = [p for p in sys.path if p.endswith("lib-dynload")]
    return tuple(dict.fromkeys(stdlib + dynload + sorted(paths)))


# What a child may open in /dev (its own /dev/shm is added where it has one): no terminals, no host /dev/shm.
DEVICES = ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"]


def confinement(scratch: Path, preload: tuple[str, ...]) -> dict[str, Any]:
    """What the child may see: the interpreter and libraries (read), its scratch folder (write), a few devices."""
    read = readable(preload)
    closed, unreadable = what_others_cannot_read(read)
    return {
        "landlock": str(CHILD / "landlock.py"),
        "isolation": str(CHILD / "isolation.py"),
        "seccomp": str(CHILD / "seccomp.py"),
        "read": list(read),
        "closed": closed,
        "unreadable": unreadable,
        "write": [str(scratch)],
        "devices": [*DEVICES, *gpu_devices()],
    }


@functools.cache
def what_others_cannot_read(read: tuple[str, ...]) -> tuple[dict[str, list[str]], str]:
    """The closed folders above what the child reads, and a path it could not read as a user of its own (computed
    once: stat calls over hundreds of files cost tens of milliseconds per child)."""
    return isolation.closed_folders(list(read)), isolation.unreadable_by_others(list(read))


@functools.cache
def gpu_devices() -> tuple[str, ...]:
    """The GPU's device nodes on this machine (NVIDIA's and the DRM folder), which CUDA opens."""
    return tuple(sorted(str(path) for path in (*Path("/dev").glob("nvidia*"), Path("/dev/dri")) if path.exists()))


def child_environment(threads: int) -> dict[str, str]:
    """A small, fixed environment: no grader variables, a set number of threads for numeric libraries (no more than
    the cores this process may run on: a batch worker's share)."""
    if hasattr(os, "sched_getaffinity"):
        threads = min(threads, len(os.sched_getaffinity(0)))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
    }
