"""The warm grader: ``python -m grader.warm.daemon KEY``, started by a client (``grader.warm.client``), never by hand.

It listens on its install's socket (``grader.warm.place``) and answers only processes of its own user (the kernel
says who connected: ``SO_PEERCRED``). Each request is graded the way a cold run grades it, with the client's
environment and working folder in force, one at a time; between requests torch, the suites, the oracles and the
sandbox's zygote stay loaded. Student code runs only in sandbox children forked from that zygote, never here. While
it grades, it tells the client every second that it is still working, so a client can tell a hung daemon from a
long grade. It stops after ``$GRADER_DAEMON_IDLE`` seconds without requests (default 900), when asked, on SIGTERM,
when its socket is taken or removed, and when the grader's files change (it answers "stale" and the client starts a
fresh one).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from grader.warm import frames
from grader.warm.codec import decode, encode
from grader.warm.place import Install, Place, place_of

if TYPE_CHECKING:
    from grader.progress import OnProgress

IDLE_VARIABLE = "GRADER_DAEMON_IDLE"
IDLE_SECONDS = 900.0
BEAT_SECONDS = 1.0  # how often a client waiting for a grade hears that the daemon is still working
TICK_SECONDS = 1.0  # how often the idle daemon looks at the clock and at its socket
REQUEST_SECONDS = 10.0  # a client sends its request right after connecting
FINISH_SECONDS = 60.0  # how long a stopping daemon lets a grade under way finish


class Daemon:
    """A listening socket and the one grading lock behind it."""

    def __init__(self, place: Place, install: Install) -> None:
        self.place, self.install = place, install
        self.fingerprint = install.fingerprint()  # taken before any grading code is imported
        self.idle_seconds = float(os.environ.get(IDLE_VARIABLE) or IDLE_SECONDS)
        self.grading = threading.Lock()
        self.retiring = threading.Lock()
        self.stopping = threading.Event()
        self.started = self.last_used = time.monotonic()
        self.graded = 0
        self.listener = listen(place)
        self.inode = os.stat(place.socket).st_ino

    def serve(self) -> None:
        """Answer connections until told to stop, idle for too long, or no longer the one at the socket."""
        self.listener.settimeout(TICK_SECONDS)
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except socket.timeout:
                self.stop_if_idle()
                continue
            except OSError:  # the listener was closed: retired
                break
            threading.Thread(target=self.answer, args=(connection,), name="answer", daemon=True).start()
        self.retire("stopped")
        for thread in threading.enumerate():  # the replies under way (a grade, "stale", "stopped") are sent first
            if thread.name == "answer":
                thread.join(timeout=FINISH_SECONDS)

    def stop_if_idle(self) -> None:
        if not self.grading.locked() and time.monotonic() - self.last_used > self.idle_seconds:
            self.retire(f"idle for {self.idle_seconds:g} s")
        elif not self.owns_socket():
            self.retire(f"{self.place.socket} was removed or taken by another daemon")

    def owns_socket(self) -> bool:
        try:
            return os.stat(self.place.socket).st_ino == self.inode
        except FileNotFoundError:
            return False

    def retire(self, reason: str) -> None:
        """Stop taking requests: give up the socket's name (if still ours) and close the listener."""
        with self.retiring:
            if self.listener.fileno() < 0:
                return
            self.stopping.set()
            if self.owns_socket():
                self.place.socket.unlink()
            self.listener.close()
            log(f"stopping: {reason}")

    def answer(self, connection: socket.socket) -> None:
        """One connection: a request from this daemon's own user, and its reply."""
        with connection:
            pid, uid = frames.peer(connection)
            if uid != os.getuid():
                log(f"refused a connection from uid {uid} (pid {pid}): only uid {os.getuid()} may use this daemon")
                return
            try:
                request = frames.receive(connection, REQUEST_SECONDS)
                frames.send(connection, self.reply(request, connection))
            except (frames.FrameError, OSError) as error:
                log(f"lost a client (pid {pid}): {error}")

    def reply(self, request: dict[str, Any], connection: socket.socket) -> dict[str, Any]:
        operation = request.get("op")
        if operation == "status":
            return {"ok": True, **self.status()}
        if operation == "stop":
            self.retire("asked to stop")
            return {"ok": True, "pid": os.getpid()}
        if operation == "grade":
            with heartbeat(connection) as on_progress:
                return self.grade(request, on_progress)
        return {"ok": False, "error": f"unknown request {operation!r}"}

    def status(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "uptime": time.monotonic() - self.started, "graded": self.graded,
                "idle_seconds": self.idle_seconds, "grader": self.install.grader, "python": self.install.python,
                "reference": self.install.reference, "courses": list(self.install.courses),
                "fresh": self.install.fingerprint() == self.fingerprint}

    def grade(self, request: dict[str, Any], on_progress: OnProgress) -> dict[str, Any]:
        """Grade one request, or say the daemon is stale (and retire) when the grader's files changed."""
        with self.grading:
            self.last_used = time.monotonic()
            if self.install.fingerprint() != self.fingerprint:
                self.retire("the grader's files changed")
                return {"ok": False, "stale": True}
            try:
                with clients_view(request["env"], request["cwd"]):
                    reply = graded(request, on_progress)
            except Exception:  # a grader bug: the client grades cold and shows it there
                reply = {"ok": False, "error": traceback.format_exc()}
            self.graded += 1
            log(f"graded {request.get('function') or request.get('path')} in "
                f"{time.monotonic() - self.last_used:.2f} s: {'ok' if reply['ok'] else reply}")
            self.last_used = time.monotonic()
            return reply


def graded(request: dict[str, Any], on_progress: OnProgress) -> dict[str, Any]:
    """The grade a cold run would give: a file by its path as typed, or a notebook's function from its cells."""
    from grader.notebook import assignment_of, grade_function
    from grader.reports.outputs import render
    from grader.runner import grade, unusable

    settings = decode(request["settings"])
    if "assignment" in request and (problem := unusable(request["assignment"], settings)):
        return {"ok": False, "usage_error": problem}  # the command's usage error, as a cold run gives it
    if "function" in request:
        try:
            assignment_of(request["function"])
        except ValueError as error:  # no assignment has that function: the notebook raises it
            return {"ok": False, "value_error": str(error)}
        report = grade_function(request["function"], decode(request["cells"]), settings, on_progress)
    else:
        report = grade(request["assignment"], Path(request["path"]), settings, on_progress)
    formats = [name for name in request["formats"] if name != "report"]
    reply = {"ok": True, "exit": 0 if report.all_passed else 1, "texts": render(report, formats)}
    if "report" in request["formats"]:
        reply["report"] = encode(report)
    return reply


@contextlib.contextmanager
def clients_view(environment: dict[str, str], folder: str) -> Iterator[None]:
    """The client's environment variables and working folder, for one grade (grades run one at a time)."""
    saved, here = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(environment)
    try:
        os.chdir(folder)
        yield
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def heartbeat(connection: socket.socket) -> Iterator[OnProgress]:
    """Tell the client every second, until the block ends, that its request is being worked on; the block gets a
    callback that tells it each step of the grade as well (the live line the client shows)."""
    done, sending = threading.Event(), threading.Lock()

    def send(message: dict[str, Any]) -> None:
        with sending, contextlib.suppress(OSError):  # a client that left: the grade finishes for nothing
            frames.send(connection, message)

    def beat() -> None:
        while not done.wait(BEAT_SECONDS):
            send({"working": True})

    beating = threading.Thread(target=beat, daemon=True)
    beating.start()
    try:
        yield lambda progress: send({"working": True, "progress": encode(progress)})
    finally:
        done.set()
        beating.join()


def listen(place: Place) -> socket.socket:
    """A listening socket at ``place.socket`` that only its owner may open (mode 0600, in a 0700 folder), bound
    under a name of its own first and then moved in place, so no client ever finds a half-made one."""
    own_name = place.folder / f"{place.key}.{os.getpid()}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        listener.bind(str(own_name))
    finally:
        os.umask(mask)
    os.chmod(own_name, 0o600)
    listener.listen(16)
    os.replace(own_name, place.socket)
    return listener


def log(line: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {line}", file=sys.stderr, flush=True)


def main() -> None:
    """Serve until stopped, after checking that this process imports the install its client asked for."""
    install = Install.this_one()
    if sys.argv[1:] != [install.key]:
        log(f"this process would grade with {install}, not the install keyed {sys.argv[1:]}: not starting")
        sys.exit(2)
    daemon = Daemon(place_of(install), install)
    signal.signal(signal.SIGTERM, lambda *_: daemon.stopping.set())
    log(f"serving {install} at {daemon.place.socket}")
    daemon.serve()
    from grader.sandbox.zygote import close_all

    close_all()
    sys.stderr.flush()
    os._exit(0)  # without torch's slow teardown


if __name__ == "__main__":
    main()
