"""The batch's own temporary folders, and how a batch clears those that a killed batch left behind.

While it runs, a batch holds folders named `<prefix><pid>-<random>`, each with a `lock` file it keeps an flock on:
`OUT/.unpacked-*` (zips unpacked and LMS downloads regrouped, where workers on other machines see them too) and, for
its own process pool, `TMP/grader-batch-*`, whose name tags the pool's POSIX semaphores
(`/dev/shm/sem.mp-grader-batch-*`) and which notes multiprocessing's helper folder (`TMP/pymp-*`). A batch that ends
removes all of it; one killed with SIGKILL cannot. So each batch starts by sweeping: a folder whose pid is not
running on this machine and whose lock nobody holds is removed, with the semaphores and the helper folder it names.
A live batch's folders are never touched: its pid runs, or its lock is held (on another machine sharing OUT).
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing.process
import multiprocessing.util
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

LOCK_NAME = "lock"
HELPER_NOTE = "multiprocessing-folder"  # holds the path of this process's multiprocessing helper folder (pymp-*)
UNPACKED_PREFIX = ".unpacked-"
POOL_PREFIX = "grader-batch-"
SEMAPHORES = Path("/dev/shm")  # where Linux keeps a named POSIX semaphore NAME, as the file sem.NAME


@contextlib.contextmanager
def held_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder `parent/<prefix><pid>-<random>`, locked while the block runs and removed after it."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    try:
        with open(folder / LOCK_NAME, "w", encoding="utf-8") as lock:
            with contextlib.suppress(OSError):  # a filesystem without locks: a sweep then never takes the folder
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def tagged_pool_resources(folder: Path) -> Iterator[None]:
    """While the block runs, name the POSIX semaphores this process creates after `folder` (where they are files
    in /dev/shm), and note multiprocessing's helper folder in `folder`, so that a sweep finds both if the process
    is killed. multiprocessing has no public hook for the semaphores' names: its process config holds their prefix.
    """
    config = multiprocessing.process.current_process()._config
    before = config["semprefix"]
    (folder / HELPER_NOTE).write_text(multiprocessing.util.get_temp_dir(), encoding="utf-8")
    if SEMAPHORES.is_dir():
        config["semprefix"] = f"/mp-{folder.name}"
    try:
        yield
    finally:
        config["semprefix"] = before


def clear_leftovers(out: Path) -> list[Path]:
    """Remove what killed batches left in this machine's temporary folder and in `out`; returns the folders."""
    return sweep(Path(tempfile.gettempdir()), POOL_PREFIX) + sweep(out, UNPACKED_PREFIX)


def sweep(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders `parent/<prefix><pid>-*` of batches that are gone (see the module's docstring), with the
    semaphores and the helper folder each names; returns those removed."""
    removed = []
    for folder in sorted(parent.glob(f"{prefix}*")):
        found = re.fullmatch(re.escape(prefix) + r"(\d+)-\w+", folder.name)
        if found is None or folder.is_symlink() or not folder.is_dir() or running(int(found.group(1))):
            continue
        with contextlib.suppress(OSError):  # no lock file (being created, or not ours), or its lock is held
            with open(folder / LOCK_NAME, encoding="utf-8") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                remove_folder(folder)
                removed.append(folder)
    return removed


def running(pid: int) -> bool:
    """Whether process `pid` exists on this machine (a zombie, or another user's process, counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_folder(folder: Path) -> None:
    """Remove a dead batch's folder, the semaphores tagged with its name and the helper folder it notes."""
    for semaphore in SEMAPHORES.glob(f"sem.mp-{folder.name}-*"):
        semaphore.unlink(missing_ok=True)
    note = folder / HELPER_NOTE
    helper = Path(note.read_text(encoding="utf-8")) if note.is_file() else None
    if helper and helper.parent == folder.parent and helper.name.startswith("pymp-") and not helper.is_symlink():
        shutil.rmtree(helper, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
