"""The zygote: a clean interpreter that imports numpy (and torch) once, then forks one sandbox child per request.

Started by ``grader.sandbox.zygote`` as ``python -I -S -u zygote_main.py CONFIG`` (unbuffered: what a child
prints before it hangs or dies must reach the grader) in an empty folder, so it
holds nothing of the grader's or the reference's state, and it never initialises CUDA. A fresh interpreter
that imports torch takes about two seconds; a fork of this one takes milliseconds. Each request arrives on
a Unix socket with the child's configuration and four file descriptors (requests, responses, output, exit
status); the forked child serves the grader through ``child_main.run``. The zygote reaps its children and
writes each exit status to that child's status pipe (with the CPU time it used), so the grader can tell a crash
from a timeout. As the subreaper of everything it forks, it also inherits and kills whatever a finished child left
running, even a process that left the child's process group. A child keeps no descriptor of the zygote's but its
pipes. It exits when the grader closes the socket; its children die with it (and the cgroups made for them go).
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import struct
import sys
import traceback
import types
from pathlib import Path

MAX_REQUEST_BYTES = 1 << 20
PR_SET_CHILD_SUBREAPER = 36
FDS_PER_CHILD = 4  # requests (read), responses (write), output (write), exit status (write)
STATUS = struct.Struct("=id")  # an ended child's wait status and CPU seconds, as the grader reads them


def load_by_path(name: str, path: str) -> types.ModuleType:
    """One of the sandbox's standalone modules, loaded by file path: the grader is not on this interpreter's path."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Zygote:
    """Forks children on request and reports each one's exit status on its own pipe."""

    def __init__(self, control: socket.socket, child_main: types.ModuleType) -> None:
        self.control = control
        self.child_main = child_main
        self.status_fds: dict[int, int] = {}
        self.scratches: dict[int, str] = {}
        self.groups: dict[int, list[str]] = {}
        self.wakeup_read, wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wakeup_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def serve(self) -> None:
        """Answer fork requests and reap children until the grader hangs up."""
        import select

        while True:
            readable, _, _ = select.select([self.control, self.wakeup_read], [], [])
            if self.wakeup_read in readable:
                self.reap()
            if self.control in readable and not self.fork_one():
                self.shutdown()
                return

    def fork_one(self) -> bool:
        """Fork a child for one request and send back its pid; False when the grader has gone."""
        message, fds, _, _ = socket.recv_fds(self.control, MAX_REQUEST_BYTES, FDS_PER_CHILD)
        if not message:
            return False
        if len(fds) != FDS_PER_CHILD:
            for fd in fds:
                os.close(fd)
            self.control.send(json.dumps({"error": f"expected {FDS_PER_CHILD} descriptors, got {len(fds)}"}).encode())
            return True
        config = json.loads(message)
        pid = os.fork()
        if pid == 0:
            self.become_child(config, fds)
        for fd in fds[:3]:
            os.close(fd)
        self.status_fds[pid] = fds[3]
        self.scratches[pid] = config["scratch"]
        self.groups[pid] = config["cgroups"]["folders"]
        self.control.send(json.dumps({"pid": pid}).encode())
        return True

    def become_child(self, config: dict, fds: list[int]) -> None:
        """In the forked child: drop the zygote's state, take the pipes, and serve the grader until told to stop."""
        code = 70
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()
            request_fd, response_fd, output_fd, _ = fds
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(output_fd, 1)
            os.dup2(output_fd, 2)
            for fd in (devnull, output_fd):
                os.close(fd)
            keep_only_descriptors(0, 1, 2, request_fd, response_fd)
            os.chdir(config["scratch"])
            os.environ.clear()
            os.environ.update(config["env"])
            self.child_main.run(config, request_fd, response_fd)
            code = 0
        except BaseException:  # noqa: BLE001 - whatever went wrong, never return into the zygote's loop
            traceback.print_exc()
        finally:
            os._exit(code)

    def reap(self) -> None:
        """Collect every child that has exited and hand its wait status to the grader."""
        try:
            while os.read(self.wakeup_read, 4096):
                pass
        except BlockingIOError:
            pass
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            fd = self.status_fds.pop(pid, None)
            self.scratches.pop(pid, None)  # the grader removes these once it has read what it needs
            self.groups.pop(pid, None)
            if fd is not None:
                os.write(fd, STATUS.pack(status, usage.ru_utime + usage.ru_stime))
                os.close(fd)
                self.kill_strays()

    def shutdown(self) -> None:
        """The grader has gone: kill every child, then what they left running, and remove their scratch folders,
        their cgroups and this zygote's own folder (a grader that ended with ``os._exit``, as pool workers do,
        cannot)."""
        for pid in self.status_fds:
            for send in (os.killpg, os.kill):
                try:
                    send(pid, signal.SIGKILL)
                except OSError:
                    pass
        for pid in self.status_fds:
            os.waitpid(pid, 0)
        self.status_fds.clear()
        self.kill_strays()
        for folder in (*self.scratches.values(), os.getcwd()):
            shutil.rmtree(folder, ignore_errors=True)
        for folder in (group for groups in self.groups.values() for group in groups):
            try:
                os.rmdir(folder)
            except OSError:
                pass

    def kill_strays(self) -> None:
        """Kill what a finished child left running: as the subreaper, the zygote inherits its orphans."""
        while strays := [pid for pid in children() if pid not in self.status_fds]:
            for pid in strays:
                os.kill(pid, signal.SIGKILL)
            for pid in strays:
                os.waitpid(pid, 0)


def keep_only_descriptors(*kept: int) -> None:
    """Close every file descriptor but ``kept``: nothing of the zygote's (its wake-up pipe, what its libraries
    opened) reaches student code."""
    low = 0
    for fd in sorted(set(kept)):
        if low < fd:  # closerange(n, n) would close every descriptor from n on
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def children() -> list[int]:
    """This process's children, as Linux lists them."""
    me = os.getpid()
    return [int(pid) for pid in Path(f"/proc/{me}/task/{me}/children").read_text().split()]


def main() -> None:
    config = json.loads(sys.argv[1])
    sys.path[:] = config["sys_path"]
    for name in config["preload"]:
        __import__(name)
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)
    control = socket.socket(fileno=config["control_fd"])
    Zygote(control, load_by_path("_grader_child_main", config["child_main"])).serve()


if __name__ == "__main__":
    main()
