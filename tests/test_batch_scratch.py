"""The batch's own temporary folders: a sweep removes a dead batch's folder, the semaphores it tagged and the helper
folder it noted, and never what a live batch holds (its pid runs, or another machine's batch holds its lock)."""

from __future__ import annotations

import fcntl
import os
import multiprocessing
import subprocess
from pathlib import Path

import pytest

from grader.batch.scratch import (HELPER_NOTE, LOCK_NAME, POOL_PREFIX, SEMAPHORES, held_folder, sweep,
                                  tagged_pool_resources)

needs_semaphore_files = pytest.mark.skipif(not SEMAPHORES.is_dir(), reason="no /dev/shm: semaphores are not files")


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def left_by_a_killed_batch(parent: Path, pid: int, name: str) -> tuple[Path, Path, Path]:
    """What a batch SIGKILLed while its pool ran leaves: its folder (lock and note), a semaphore file tagged with
    the folder's name, and multiprocessing's helper folder."""
    folder, helper = parent / f"{POOL_PREFIX}{pid}-{name}", parent / f"pymp-{name}"
    folder.mkdir()
    helper.mkdir()
    (helper / "listener-socket").touch()
    (folder / LOCK_NAME).touch()
    (folder / HELPER_NOTE).write_text(str(helper))
    semaphore = SEMAPHORES / f"sem.mp-{folder.name}-a1b2c3d4"
    semaphore.touch()
    return folder, helper, semaphore


@needs_semaphore_files
def test_a_sweep_removes_only_what_batches_that_are_gone_left(tmp_path: Path) -> None:
    gone = dead_pid()
    dead, dead_helper, dead_semaphore = left_by_a_killed_batch(tmp_path, gone, "dead01")
    locked, locked_helper, locked_semaphore = left_by_a_killed_batch(tmp_path, gone, "other1")  # another machine's
    running, _, running_semaphore = left_by_a_killed_batch(tmp_path, os.getpid(), "mine01")
    stranger = tmp_path / f"{POOL_PREFIX}not-a-pid"
    stranger.mkdir()
    try:
        with open(locked / LOCK_NAME) as lock, held_folder(tmp_path, POOL_PREFIX) as live:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert sweep(tmp_path, POOL_PREFIX) == [dead]
            assert live.is_dir() and (live / LOCK_NAME).is_file()
        assert not live.exists(), "a batch removes its own folder when it ends"
        assert not dead.exists() and not dead_helper.exists() and not dead_semaphore.exists()
        kept = [locked, locked_helper, locked_semaphore, running, running_semaphore, stranger]
        assert all(path.exists() for path in kept)
    finally:
        for semaphore in (dead_semaphore, locked_semaphore, running_semaphore):
            semaphore.unlink(missing_ok=True)


@needs_semaphore_files
def test_the_pools_semaphores_carry_the_batch_folders_name_and_its_helper_folder_is_noted(tmp_path: Path) -> None:
    with held_folder(tmp_path, POOL_PREFIX) as folder, tagged_pool_resources(folder):
        lock = multiprocessing.get_context("forkserver").Lock()
        assert list(SEMAPHORES.glob(f"sem.mp-{folder.name}-*"))
        assert Path((folder / HELPER_NOTE).read_text()).name.startswith("pymp-")
        del lock
    assert multiprocessing.current_process()._config["semprefix"] == "/mp"
