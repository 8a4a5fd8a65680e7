"""`grader watch`: check a submission now, then again each time it is saved, until Ctrl-C.

It polls the file four times a second: its modification time, size and inode (an editor that saves by writing a
new file and renaming it over the old one changes the inode). One stat call per poll costs nothing, works on every
system and every file system (network folders, containers, macOS), and needs no dependency: ``watchfiles`` or
inotify would save no code for one file. A save written in several steps is checked once, after the file has
stayed the same for one poll; a file that disappears for a moment (an editor's rename) is waited for.

Ctrl-C stops it even when Python drops the KeyboardInterrupt: one that lands while a grade runs can be raised inside
a garbage-collector or weakref callback (Hypothesis registers one), where Python prints "Exception ignored in" and
goes on. The watch's own SIGINT handler also remembers the Ctrl-C, and the watch stops at its next poll.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

POLL_SECONDS = 0.25


def stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is saved, or None while it is missing."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def watch(path: Path, check: Callable[[], object], poll_seconds: float = POLL_SECONDS) -> None:
    """Call ``check`` now and after every change of ``path``, until Ctrl-C (then it returns)."""
    with remembered_interrupts() as interrupted:
        try:
            seen = stamp(path)
            check()
            while not interrupted():
                time.sleep(poll_seconds)
                now = stamp(path)
                if now == seen:
                    continue
                while (settled := stamp_after(path, poll_seconds)) != now and not interrupted():
                    now = settled
                if now is not None and not interrupted():
                    seen = now
                    check()
        except KeyboardInterrupt:
            return


@contextlib.contextmanager
def remembered_interrupts() -> Iterator[Callable[[], bool]]:
    """While inside, Ctrl-C raises KeyboardInterrupt as usual and is also remembered; yields "was it pressed?".

    An ignored SIGINT (a job started in the background by a non-interactive shell) stays ignored."""
    pressed: list[int] = []

    def on_interrupt(signum: int, frame: object) -> None:
        pressed.append(signum)
        raise KeyboardInterrupt

    before = signal.getsignal(signal.SIGINT)
    if before is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield lambda: bool(pressed)
    finally:
        if before is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, before)


def stamp_after(path: Path, seconds: float) -> tuple[int, int, int] | None:
    time.sleep(seconds)
    return stamp(path)
