"""The grader's side of the sandbox: a persistent child process per submission.

The child is forked from a zygote (a clean ``python -I -S`` interpreter that
imported numpy, and torch where the assignment needs it, once) into an empty
scratch folder, in its own session (so a timeout kills its whole process
group), with the confinement and resource limits it applies to itself before
student code runs. Requests and
replies travel over two dedicated pipes; the student's prints go to a third,
which a thread drains into a capped buffer. A timeout or a crash fails only
the call it happened in: the next call starts a new child and reloads the
submission.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import select
import shutil
import signal
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from grader.sandbox import wire
from grader.sandbox.cgroups import TOTALS, ChildGroups
from grader.sandbox.child.isolation import SHM_MIB
from grader.sandbox.errors import SandboxStartError, StudentCodeError
from grader.sandbox.policy import Limits, Policy, child_environment, child_sys_path, confinement
from grader.sandbox.printable import printable
from grader.sandbox.zygote import zygote_for
from grader.submission import SourceCell, Submission


@dataclass(frozen=True)
class LoadReport:
    """What loading the submission showed: cells that failed, and the names it defined."""

    cell_errors: tuple[str, ...]
    names: Mapping[str, str]
    failure: StudentCodeError | None = None


@dataclass(frozen=True)
class CallResult:
    """A student function's return value, and which array arguments it modified."""

    value: Any
    modified_args: tuple[int, ...]


FLOOD_POLL_SECONDS = 0.05


class Flooded(Exception):
    """The child printed more than its limit during one call."""


class OutputCapture:
    """Drains the child's stdout and stderr on a thread, keeping the first bytes only."""

    def __init__(self, fd: int, limit: int, marker: bytes) -> None:
        self.fd, self.limit, self.marker = fd, limit, marker
        self.kept = bytearray()
        self.dropped = 0
        self.tail = b""
        self.synced = self.closed = False
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while chunk := os.read(self.fd, 65536):
            with self.lock:
                room = max(0, self.limit - len(self.kept))
                self.kept += chunk[:room]
                self.dropped += len(chunk) - len(chunk[:room])
                self.tail = (self.tail + chunk)[-2 * len(self.marker) :]
                if self.marker in self.tail:
                    self.synced, self.tail = True, b""
                    self.changed.notify_all()
        os.close(self.fd)
        with self.lock:
            self.closed = True
            self.changed.notify_all()

    def printed(self) -> int:
        """How many bytes were printed since the last take."""
        with self.lock:
            return len(self.kept) + self.dropped

    def take(self, timeout: float) -> str:
        """Return (and forget) what was printed up to the sync marker, with a note if it was cut."""
        with self.lock:
            self.changed.wait_for(lambda: self.synced or self.closed, timeout=timeout)
            text = bytes(self.kept)
            dropped = self.dropped - (len(self.marker) if self.synced and self.marker not in text else 0)
            self.kept.clear()
            self.dropped, self.synced = 0, False
        note = f"\n[... {dropped:,} more bytes of output not shown]" if dropped > 0 else ""
        return printable(text.replace(self.marker, b"").decode("utf-8", "replace")) + note


STATUS = struct.Struct("=id")  # what the zygote reports of an ended child: its wait status and CPU seconds


class Child:
    """One running child process, forked by a zygote, in cgroups of its own where the machine delegates them, and
    its pipes. ``cpu_seconds`` caps the CPU time of all its processes (RLIMIT_CPU of its one process, where it may
    start no other)."""

    def __init__(self, policy: Policy, cpu_seconds: int | None = None) -> None:
        self.limits = policy.limits
        self.marker = f"<<sync-{secrets.token_hex(8)}>>".encode()
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-child-"))
        self.groups = ChildGroups(self.limits.memory_mib, self.limits.processes)
        self.cpu_at_exit: float | None = None
        self.cpu_limit = min(self.limits.cpu_seconds, cpu_seconds or self.limits.cpu_seconds)
        request_read, self.request_fd = os.pipe()
        self.response_fd, response_write = os.pipe()
        output_read, output_write = os.pipe()
        self.status_fd, status_write = os.pipe()
        environment = child_environment(policy.threads)
        config = {
            "scratch": str(self.scratch),
            "env": environment | {"HOME": str(self.scratch), "TMPDIR": str(self.scratch)},
            "wire": str(Path(wire.__file__)),
            "modules": [[name, str(path)] for name, path in policy.probe_modules],
            "blocked": dict(policy.blocked_imports),
            "limits": {
                "memory_mib": self.limits.memory_mib,
                "cpu_seconds": self.cpu_limit,
                "file_size_mib": self.limits.file_size_mib,
                "scratch_mib": self.limits.scratch_mib,
                "shm_mib": SHM_MIB,
                "processes": self.limits.processes,
            },
            "processes": policy.subprocesses and TOTALS <= self.groups.controllers,
            "cgroups": self.groups.config(),
            "confine": confinement(self.scratch, policy.preload) if policy.confine else None,
            "marker": self.marker.decode(),
        }
        self.output = OutputCapture(output_read, self.limits.output_bytes, self.marker)
        self.exit_status: int | None = None
        try:
            zygote = zygote_for(child_sys_path(policy.preload), policy.preload, environment)
            self.pid = zygote.fork(config, (request_read, response_write, output_write, status_write),
                                   policy.start_seconds)
        except SandboxStartError:
            self.pid = 0
            self.kill()
            raise
        finally:
            for fd in (request_read, response_write, output_write, status_write):
                os.close(fd)
        os.set_blocking(self.request_fd, False)
        self._await_ready(policy.start_seconds)

    def _await_ready(self, seconds: float) -> None:
        """Wait for the child's greeting; a child that cannot start is the grader's problem, not the student's."""
        deadline = time.monotonic() + seconds
        try:
            greeting, _ = wire.read_message(lambda n: self._receive(n, deadline))
            self.sandbox_level = str(greeting.get("sandbox", "process"))
        except (TimeoutError, wire.WireError, OSError) as error:
            self.kill()
            raise SandboxStartError(f"the sandbox child did not start ({error or 'timed out'}):\n"
                                    f"{self.output.take(timeout=1.0)}") from None

    def request(self, header: dict[str, Any], blobs: list[bytes], seconds: float) -> tuple[dict[str, Any], list[bytes]]:
        """Send one request and wait for its reply; raise StudentCodeError on timeout or death."""
        deadline = time.monotonic() + seconds
        try:
            self._send(header, blobs, deadline)
            return wire.read_message(lambda n: self._receive(n, deadline))
        except TimeoutError:
            self.kill()
            raise StudentCodeError("timeout", f"timed out after {seconds:g} s (the time limit for one call)") from None
        except Flooded:
            self.kill()
            raise StudentCodeError("flood", f"printed more than {self.limits.flood_bytes / 1e6:g} MB in one call, so "
                                   "it was stopped: print less (or nothing) in the graded functions") from None
        except (wire.WireError, OSError) as error:
            died = self.wait(seconds=0.5) is not None
            self.kill()
            reason = self._death_reason(error) if died else f"sent the grader a reply it could not read ({error})"
            raise StudentCodeError("crash", reason) from None

    def _send(self, header: dict[str, Any], blobs: list[bytes], deadline: float) -> None:
        buffer = io.BytesIO()
        wire.write_message(buffer, header, blobs)
        view = memoryview(buffer.getvalue())
        while view:
            self._wait(self.request_fd, deadline, writable=True)
            try:
                view = view[os.write(self.request_fd, view[: 1 << 16]) :]
            except BlockingIOError:
                continue

    def _receive(self, size: int, deadline: float) -> bytes:
        self._wait(self.response_fd, deadline, writable=False)
        return os.read(self.response_fd, size)

    def _wait(self, fd: int, deadline: float, writable: bool) -> None:
        """Wait until ``fd`` is ready; TimeoutError past the deadline, Flooded once the call printed too much."""
        while True:
            left = min(deadline - time.monotonic(), FLOOD_POLL_SECONDS)
            ready = select.select([], [fd], [], max(0.0, left)) if writable else select.select([fd], [], [], max(0.0, left))
            if any(ready):
                return
            if self.output.printed() > self.limits.flood_bytes:
                raise Flooded
            if time.monotonic() >= deadline:
                raise TimeoutError

    def _death_reason(self, error: Exception) -> str:
        code = self.wait(seconds=2.0)
        if code is None:
            return f"the process stopped answering ({error})"
        if code == -signal.SIGXCPU or (code < 0 and self.cpu_seconds() >= self.cpu_limit):
            return (f"the process used up its CPU time ({self.cpu_limit} s, all its threads together; the submission's "
                    "time budget counts CPU time)")
        if code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGSEGV": " (a segmentation fault)",
                    "SIGKILL": " (killed, often for using too much memory)"}.get(name, "")
            return f"the process died from signal {name}{hint}"
        return f"the process exited with code {code} (a call to os._exit or a fatal error)"

    def wait(self, seconds: float) -> int | None:
        """The child's exit code (negative: killed by that signal), as the zygote reports it; None if still running."""
        if self.exit_status is None and self.status_fd >= 0 and select.select([self.status_fd], [], [], seconds)[0]:
            status = os.read(self.status_fd, STATUS.size)
            code, cpu = STATUS.unpack(status) if len(status) == STATUS.size else (9, 0.0)
            self.exit_status = os.waitstatus_to_exitcode(code)
            # Killed at its CPU limit, it used all of it (the kernel counts finer than the rusage reported).
            self.cpu_at_exit = max(cpu, self.cpu_limit) if self.exit_status == -signal.SIGXCPU else cpu
        return self.exit_status

    def cpu_seconds(self) -> float:
        """CPU time used so far by the child's processes: its cgroup's count where it has one, else its own (one
        process, threads included), live from /proc or as the zygote reported it at its end."""
        counted = self.groups.cpu_seconds()
        if counted is not None:
            return max(counted, self.cpu_at_exit or 0.0)
        if self.cpu_at_exit is not None or self.pid <= 0:
            return self.cpu_at_exit or 0.0
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return self.cpu_at_exit or 0.0
        return sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime

    def take_output(self) -> str:
        """What the child printed since the last take (synchronised when it is alive)."""
        if self.alive():
            try:
                self.request({"op": "sync"}, [], seconds=2.0)
            except StudentCodeError:
                pass
        return self.output.take(timeout=0.5 if self.alive() else 0.1)

    def alive(self) -> bool:
        return self.wait(seconds=0.0) is None

    def kill(self) -> None:
        """Kill the child's whole process group (and whatever runs in its cgroups) and release its pipes, cgroups and
        scratch folder."""
        if self.pid > 0 and self.wait(seconds=0.0) is None:
            for send in (os.killpg, os.kill):
                try:
                    send(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.wait(seconds=5.0)
        for fd in (self.request_fd, self.response_fd, self.status_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.request_fd = self.response_fd = self.status_fd = -1
        self.cpu_at_exit = self.cpu_seconds()
        self.groups.remove()
        shutil.rmtree(self.scratch, ignore_errors=True)


class Sandbox:
    """A submission running in a child process, restarted and reloaded after a timeout or crash.

    ``cpu_budget`` is the CPU time all its children together may use (their processes' CPU time, counted across
    restarts): each child starts with what is left as its CPU limit, and ``cpu_seconds`` says what was used.
    """

    def __init__(self, submission: Submission, policy: Policy, cpu_budget: float | None = None) -> None:
        self.submission = submission
        self.policy = policy
        self.cpu_budget = cpu_budget
        self.cpu_of_ended = 0.0  # CPU seconds of the children that have ended
        self.child: Child | None = None
        self.generation = 0
        self.report: LoadReport | None = None
        self.pending_output = ""
        self.level = "not started"

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self) -> LoadReport:
        """Start the child and run the submission's cells; the first report is kept."""
        try:
            self._ready()
        except StudentCodeError:
            pass
        assert self.report is not None
        return self.report

    def call(self, function: str, *args: Any, keep: tuple[int, ...] = (), seconds: float | None = None,
             **kwargs: Any) -> CallResult:
        """Call a student function; raise StudentCodeError for anything but a return value."""
        return self._invoke("call", function, args, kwargs, keep, seconds, function)

    def probe(self, name: str, *args: Any, label: str, seconds: float | None = None) -> CallResult:
        """Run one of the grader's probes in the child on the student's namespace; ``label`` names, in
        messages, the student's code it exercises (a class or function name)."""
        return self._invoke("probe", name, args, {}, (), seconds, label)

    def _invoke(self, op: str, function: str, args: tuple, kwargs: dict[str, Any], keep: tuple[int, ...],
                seconds: float | None, label: str) -> CallResult:
        child = self._ready()
        for value in args:
            if isinstance(value, wire.Handle) and value.generation != self.generation:
                raise StudentCodeError("crash", "the cache from the forward call was lost when the process restarted")
        blobs: list[bytes] = []
        header = {"op": op, "function": function, "args": wire.encode(list(args), blobs),
                  "kwargs": wire.encode(dict(kwargs), blobs), "keep": list(keep)}
        reply, reply_blobs = self._request(child, header, blobs, seconds or self.policy.limits.call_seconds)
        if not reply.get("ok"):
            raise error_from_reply(label, reply.get("error") or {}, self.policy.limits)
        try:
            value = wire.decode(reply.get("value"), reply_blobs)
        except (wire.WireError, ValueError, TypeError, KeyError) as error:
            raise StudentCodeError("invalid", f"{label} returned data the grader could not read: {error}") from None
        return CallResult(self._stamp(value), tuple(int(i) for i in reply.get("modified_args", [])))

    def run_more(self, submission: Submission, cells: tuple[SourceCell, ...]) -> None:
        """Grade ``submission`` from now on: the loaded one with ``cells`` run after it (a definition there replaces
        the loaded one). The live child runs only ``cells``; a child started later loads all of ``submission``. The
        repair search tries many versions of one function this way, in one child."""
        self.submission = submission
        if self.child is None or not self.child.alive():
            return
        try:
            self._request(self.child, *load_request(cells), self.policy.limits.load_seconds)
        except StudentCodeError:
            pass  # the child is gone: the next call starts one that loads all of ``submission``

    def take_output(self) -> str:
        """Everything the student's code printed since the last take, capped."""
        text = self.pending_output
        self.pending_output = ""
        if self.child is not None:
            text += self.child.take_output()
        return text

    def cpu_seconds(self) -> float:
        """CPU time used by this submission's processes so far, every child it had included."""
        return self.cpu_of_ended + (self.child.cpu_seconds() if self.child is not None else 0.0)

    def close(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.cpu_of_ended += self.child.cpu_seconds()
            self.child = None

    def _request(self, child: Child, header: dict[str, Any], blobs: list[bytes], seconds: float):
        try:
            return child.request(header, blobs, seconds)
        except StudentCodeError:
            self.pending_output += child.output.take(timeout=0.1)
            self.close()
            raise

    def _ready(self) -> Child:
        """The live child, started and loaded if needed; raises the load failure if loading failed."""
        if self.report is not None and self.report.failure is not None:
            raise self.report.failure
        if self.child is not None and self.child.alive():
            return self.child
        self.close()
        self.generation += 1
        left = None if self.cpu_budget is None else max(1, math.ceil(self.cpu_budget - self.cpu_of_ended))
        self.child = Child(self.policy, left)
        self.level = self.child.sandbox_level
        report = self._load(self.child)
        if self.generation > 1 and report.failure is None:
            self.child.take_output()  # a reload prints what the first load printed: shown once is enough
        if self.report is None or report.failure is not None:
            self.report = report
        if report.failure is not None:
            raise report.failure
        return self.child

    def _load(self, child: Child) -> LoadReport:
        try:
            reply, _ = self._request(child, *load_request(self.submission.cells), self.policy.limits.load_seconds)
        except StudentCodeError as error:
            failure = StudentCodeError(error.kind, f"loading your code {error.message}")
            return LoadReport((), {}, failure)
        errors = tuple(printable(f"{e['label']}: {e['type']}: {e['message']}".rstrip(": "))
                       for e in reply.get("cell_errors", []))
        return LoadReport(errors, dict(reply.get("names", {})))

    def _stamp(self, value: Any) -> Any:
        """Mark handles with the child generation they belong to."""
        if isinstance(value, wire.Handle):
            return wire.Handle(value.number, self.generation)
        if isinstance(value, tuple):
            return tuple(self._stamp(v) for v in value)
        return value


def load_request(cells: tuple[SourceCell, ...]) -> tuple[dict[str, Any], list[bytes]]:
    """The message that has the child run ``cells``: one UTF-8 JSON document in a byte array, a blob, not in the
    message header, whose cap (1 MiB, before JSON escapes) is below what the loader accepts (2 MiB of code)."""
    text = json.dumps([{"source": c.source, "label": c.label, "first_line": c.first_line} for c in cells],
                      ensure_ascii=False)
    blobs: list[bytes] = []
    return {"op": "load", "cells": wire.encode(np.frombuffer(text.encode(), dtype=np.uint8), blobs)}, blobs


PROCESS_STARTERS = ("fork", "subprocess", "multiprocessing", "Popen", "spawn", "system(")  # in the frames


def error_from_reply(function: str, error: Mapping[str, str], limits: Limits) -> StudentCodeError:
    """Turn the child's description of an exception into the sentence the student reads."""
    kind, message = printable(str(error.get("type", "Exception"))), printable(str(error.get("message", "")))
    trace = printable(str(error.get("traceback", "")))
    places = str(error.get("places", "")) + trace  # every frame's file and function, then the student's lines
    if kind == "Missing":
        return StudentCodeError("missing", f"{function} is not defined in your submission")
    if kind == "MemoryError":
        return StudentCodeError("memory", f"{function} ran out of memory (MemoryError): it may use at most "
                                f"{limits.memory_mib} MiB", trace)
    if kind == "SystemExit":
        return StudentCodeError("exception", f"{function} called sys.exit({message}); return a value instead")
    text = f"{function} raised {kind}: {message}" if message else f"{function} raised {kind}"
    if "DataLoader worker" in message or (kind == "PermissionError" and "dataloader" in places.lower()):
        text = (f"{function} started DataLoader worker processes, which cannot run in the grader's sandbox: use "
                f"num_workers=0 (the default). {text}")
    elif kind == "PermissionError" and any(way in places for way in PROCESS_STARTERS):
        text = (f"{function} tried to start a process, which the grader's sandbox refuses: compute in this one "
                f"(threads are allowed). {text}")
    return StudentCodeError("exception", text, trace)
