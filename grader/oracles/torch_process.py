"""PyTorch in a second, trusted process, for the oracles of a cold `grader check`.

Importing torch is most of a cold check (1.3-4 s on a course VM); the numpy assignments' oracles need it only for
gradients (and, on a student's install, every expected value). Imported on a thread of the grader, it fights the
grader's own work for the GIL; in a process of its own, started before the grader imports anything heavy, it runs
on the other core while the grader imports its modules, starts the sandbox and runs the checks that need no torch.
``serving()`` starts one for the length of a check (grader.oracles.torch_server); grader.oracles.remote sends it
the oracle's torch calls. Only a one-shot `grader check` starts one: the warm grader, batch workers, validate and
a notebook's kernel keep torch in their own process, which pays for it once.

It is the grader's own code, started with the grader's import path (``sys.path``, handed over whole; ``-P``: not the
folder it runs in, a student's): student code never reaches it (the sandbox's children inherit none of the grader's
descriptors, see only their own ``/proc``, and seccomp refuses ptrace and ``pidfd_getfd``). It is killed and reaped
when the check ends, however it ends, and dies with the grader.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.abc
import json
import os
import socket
import subprocess
import sys
import threading
from typing import Any, Iterator, NoReturn

from grader.warm import frames
from grader.warm.codec import Unencodable, decode, encode

READY_SECONDS = 120.0  # importing torch: 1.3-4 s on a quiet course VM, far longer on a loaded one
CALL_SECONDS = 60.0  # one oracle call: milliseconds
BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
        "from grader.oracles.torch_server import main; main(int(sys.argv[2]), int(sys.argv[3]))")


class Unanswered(Exception):
    """The torch process did not compute this call (it could not import torch, died, went silent, or the call
    does not travel); the caller computes it in its own process, with the same code."""


class TorchProcess:
    """A running torch_server and the socket to it; one caller at a time."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.import_seconds: float | None = None  # how long it took to import torch, once it says it did
        self.trouble = ""  # why it no longer answers; set once
        self.socket, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-c", BOOT, json.dumps(sys.path), str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        theirs.close()

    def call(self, oracle: str, method: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        """``method(*args, **kwargs)`` of a new ``oracle`` (``module:qualname``) in the process: its value, or the
        builtin exception it raised, raised here. Unanswered where the process cannot say."""
        if os.getpid() != self.owner:
            raise Unanswered("a forked copy of the grader does not share its torch process")
        try:
            request = {"oracle": oracle, "method": method, "args": encode(args), "kwargs": encode(kwargs)}
        except Unencodable as error:
            raise Unanswered(str(error)) from None
        with self.lock:
            reply = self.exchange(request)
        raised = getattr(builtins, str(reply.get("raised")), None)
        if isinstance(raised, type) and issubclass(raised, Exception):
            raise raised(*decode(reply["args"]))
        if "value" not in reply:
            raise Unanswered(reply.get("unanswered", "an unexpected reply"))
        return decode(reply["value"])

    def exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and read its reply (after the word that torch is imported, the first time)."""
        if self.trouble:
            raise Unanswered(self.trouble)
        try:
            if self.import_seconds is None:
                if "ready" not in (first := frames.receive(self.socket, READY_SECONDS)):
                    why = first.get("failed", "it did not say why")
                    self.give_up(f"the torch process could not import torch: {why}")
                self.import_seconds = float(first["ready"])
            frames.send(self.socket, request)
            return frames.receive(self.socket, CALL_SECONDS)
        except (frames.FrameError, OSError) as error:
            self.give_up(f"the torch process stopped answering ({error}; {self.exit_status()})")

    def give_up(self, why: str) -> NoReturn:
        """Stop the process for good and say so on stderr; every call from now on is computed by the caller."""
        self.close(why)
        print(f"grader: {why}; computing with torch in this process instead", file=sys.stderr)
        raise Unanswered(why)

    def exit_status(self) -> str:
        """How the process ended, as far as it ended within a moment of hanging up."""
        try:
            return f"exit status {self.process.wait(timeout=1.0)}"
        except subprocess.TimeoutExpired:
            return "still running"

    def close(self, why: str = "the check it served is over") -> None:
        """Kill the process (it holds nothing to save), without waiting for it to exit (``serving`` reaps it at the
        end); from now on the caller computes every call."""
        self.trouble = self.trouble or why
        self.socket.close()
        if self.owner == os.getpid():
            self.process.kill()


class ImportWatch(importlib.abc.MetaPathFinder):
    """Stops the torch process the moment this process starts importing torch itself (a suite that computes with
    it outside its oracle, as lenet and train do; a diagnosis's patch): two imports of torch would share the cores
    for nothing. It finds no module, and stays on ``sys.meta_path`` until the check ends (removing it there, while
    the import system walks that list, would skip the next finder)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch":
            stop()


_serving: TorchProcess | None = None
_watch = ImportWatch()


def current() -> TorchProcess | None:
    """The torch process serving this check, if any (never in a forked copy of the grader)."""
    if _serving is None or _serving.owner != os.getpid() or _serving.trouble:
        return None
    return _serving


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """A torch process for the length of the block (one at a time), killed and reaped when it ends, however it
    ends; where none can start, the block runs without (torch is imported here, as before)."""
    global _serving
    if _serving is not None:
        raise RuntimeError("a torch process already serves this grader")
    try:
        process = _serving = TorchProcess()
    except OSError as error:
        print(f"grader: could not start a process for torch ({error}); importing it in this one", file=sys.stderr)
        yield
        return
    sys.meta_path.insert(0, _watch)
    try:
        yield
    finally:
        sys.meta_path.remove(_watch)
        stop()
        process.process.wait()


def stop() -> None:
    """Stop this check's torch process now (it may be of no use to it: grader.oracles.remote, ImportWatch)."""
    global _serving
    if _serving is not None:
        process, _serving = _serving, None
        process.close()
