"""Ask this install's warm grader for a grade, starting it on first use.

Every function here returns None when the daemon cannot be used, and the caller grades cold, in its own process,
with the same result: no daemon on this system (no ``SO_PEERCRED``: not Linux), ``--no-daemon`` or
``$GRADER_NO_DAEMON``, a folder that is not private, a daemon that will not start, one that goes silent for
``SILENCE_SECONDS`` (it is killed), or one run by another user (never trusted). Only real trouble is mentioned, on
stderr; a daemon that is merely absent is started without a word.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from grader.settings import Unusable
from grader.warm import frames
from grader.warm.codec import Unencodable, decode, encode
from grader.warm.place import Install, Place, PlaceError, place_of

if TYPE_CHECKING:
    from grader.progress import OnProgress

NO_DAEMON_VARIABLE = "GRADER_NO_DAEMON"
START_SECONDS = 60.0  # a daemon listens within a second on a quiet machine; far longer on a loaded one
SILENCE_SECONDS = 30.0  # a working daemon speaks every second (grader.warm.daemon.BEAT_SECONDS)
CONNECT_SECONDS = 5.0


class Unavailable(Exception):
    """The daemon cannot be used for this request; the message says why (shown only for real trouble)."""


class Gone(Exception):
    """The daemon hung up before it answered: it was stopping (or was killed) as the request came in."""


def enabled() -> bool:
    """Whether to try the warm grader at all: on systems that can tell who connected, unless switched off."""
    return hasattr(socket, "SO_PEERCRED") and os.environ.get(NO_DAEMON_VARIABLE, "") in ("", "0")


def grade_file(assignment: str, path: Path, settings: Any, formats: list[str],
               on_progress: OnProgress | None = None) -> dict[str, Any] | None:
    """`grader check`: the exit status (``exit``) and each of ``formats`` rendered (``texts``), or None;
    ``on_progress`` hears each step of the grade. Unusable when the settings cannot grade the assignment."""
    return ask({"op": "grade", "assignment": assignment, "path": str(path), "settings": settings, "formats": formats},
               on_progress)


def grade_function(function: str, cells: tuple, settings: Any, on_progress: OnProgress | None = None) -> Any:
    """A notebook's `grader.check`: the GradeReport, or None. ValueError when no assignment has ``function``."""
    reply = ask({"op": "grade", "function": function, "cells": cells, "settings": settings, "formats": ["report"]},
                on_progress)
    return None if reply is None else decode(reply["report"])


def ask(request: dict[str, Any], on_progress: OnProgress | None = None) -> dict[str, Any] | None:
    """Send a grading request (its values encoded), with this process's environment and folder, to the daemon
    (started if needed)."""
    try:
        request = {name: encode(value) for name, value in request.items()}
        request |= {"env": dict(os.environ), "cwd": os.getcwd()}
        install = Install.this_one()
        place = place_of(install)
        for _ in range(2):  # a stale daemon, or one that hung up, is gone: the second try starts a fresh one
            try:
                with connected(place, install, start=True) as connection:
                    reply = exchange(connection, request, on_progress)
            except Gone as error:
                reply = {"ok": False, "error": str(error)}
                continue
            if not reply.get("stale"):
                break
    except (PlaceError, Unavailable, Unencodable) as error:
        note(f"{error}; grading without it")
        return None
    if "value_error" in reply:
        raise ValueError(reply["value_error"])
    if "usage_error" in reply:
        raise Unusable(reply["usage_error"])
    if not reply.get("ok"):
        note(f"the warm grader failed ({reply.get('error') or reply}); grading without it")
        return None
    return reply


def exchange(connection: socket.socket, request: dict[str, Any], on_progress: OnProgress | None) -> dict[str, Any]:
    """Send ``request`` and wait for the reply, through the daemon's heartbeats (the steps of the grade among them,
    for ``on_progress``). Gone when the daemon hangs up; a daemon silent for SILENCE_SECONDS is killed (Unavailable)."""
    try:
        frames.send(connection, request)
        while (message := frames.receive(connection, SILENCE_SECONDS)).get("working"):
            if on_progress is not None and "progress" in message:
                on_progress(decode(message["progress"]))
        return message
    except frames.Silent as error:
        pid, _ = frames.peer(connection)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise Unavailable(f"the warm grader (pid {pid}) stopped answering ({error}), so it was stopped") from None
    except (frames.FrameError, OSError) as error:
        raise Gone(f"the warm grader hung up ({error})") from None


def control(operation: str) -> dict[str, Any] | None:
    """`grader daemon status|stop`: the daemon's answer, or None when none runs for this install."""
    install = Install.this_one()
    with connected(place_of(install), install, start=False) as connection:
        if connection is None:
            return None
        frames.send(connection, {"op": operation})
        return frames.receive(connection, SILENCE_SECONDS)


@contextlib.contextmanager
def connected(place: Place, install: Install, start: bool) -> Iterator[socket.socket | None]:
    """A connection to the daemon, started first if none listens and ``start``; its owner must be this user."""
    connection = connect(place)
    if connection is None and start:
        with locked(place.lock):  # one client starts it; the others wait here, then connect
            connection = connect(place) or launch(place, install)
    if connection is not None and frames.peer(connection)[1] != os.getuid():
        connection.close()
        raise Unavailable(f"the process listening at {place.socket} is another user's")
    try:
        yield connection
    finally:
        if connection is not None:
            connection.close()


def connect(place: Place) -> socket.socket | None:
    """A connection to whoever listens at the socket, or None when nobody does."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(CONNECT_SECONDS)
    try:
        connection.connect(str(place.socket))
    except (FileNotFoundError, ConnectionRefusedError, socket.timeout):
        connection.close()
        return None
    return connection


def launch(place: Place, install: Install) -> socket.socket:
    """Start the daemon (in a session of its own, detached) and connect once it listens."""
    log = os.open(place.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    paths = [*install.import_roots, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    environment = os.environ | {"PYTHONPATH": os.pathsep.join(paths),
                                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    try:
        process = subprocess.Popen([sys.executable, "-m", "grader.warm.daemon", install.key], cwd=place.folder,
                                   env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)
    finally:
        os.close(log)
    threading.Thread(target=process.wait, daemon=True).start()  # reaped if it ends while this process lives
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if (connection := connect(place)) is not None:
            return connection
        if process.poll() is not None:
            raise Unavailable(f"the warm grader could not start (see {place.log})")
        time.sleep(0.02)
    raise Unavailable(f"the warm grader did not start within {START_SECONDS:g} s (see {place.log})")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def note(message: str) -> None:
    print(f"grader: {message}", file=sys.stderr)
