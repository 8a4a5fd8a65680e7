"""The grader's handle on a zygote: one pre-imported interpreter per set of preloaded libraries, forking children.

A child started as a fresh interpreter pays for its imports every time (numpy about 0.15 s, torch about
1.3 s here); a child forked from a zygote that imported them once starts in milliseconds. Zygotes are
started on first use, one per (libraries, threads) in each grader process, and restarted if they die.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from grader.sandbox.errors import SandboxStartError

ZYGOTE_MAIN = Path(__file__).with_name("child") / "zygote_main.py"
CHILD_MAIN = Path(__file__).with_name("child") / "child_main.py"


class Zygote:
    """A running ``zygote_main.py`` and the socket that asks it to fork."""

    def __init__(self, sys_path: tuple[str, ...], preload: tuple[str, ...], env: dict[str, str]) -> None:
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.home = tempfile.mkdtemp(prefix="grader-zygote-")
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {"sys_path": list(sys_path), "preload": list(preload), "child_main": str(CHILD_MAIN),
                  "control_fd": theirs.fileno()}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-u", str(ZYGOTE_MAIN), json.dumps(config)],
            stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), cwd=self.home,
            env=env | {"HOME": self.home, "TMPDIR": self.home}, start_new_session=True)
        theirs.close()

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def fork(self, config: dict[str, Any], fds: tuple[int, int, int, int], seconds: float) -> int:
        """Ask for a child with ``config`` and the pipes ``fds``; returns its pid (also its process group)."""
        with self.lock:
            self.socket.settimeout(seconds)
            try:
                socket.send_fds(self.socket, [json.dumps(config).encode()], list(fds))
                reply = json.loads(self.socket.recv(4096) or b"{}")
            except (OSError, ValueError) as error:
                self.close()
                raise SandboxStartError(f"the sandbox zygote did not answer ({error or 'timed out'})") from None
        if "pid" not in reply:
            raise SandboxStartError(f"the sandbox zygote could not fork: {reply.get('error', 'it exited')}")
        return int(reply["pid"])

    def close(self) -> None:
        """Hang up: the zygote exits, and its children die with it."""
        self.socket.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


_zygotes: dict[tuple, Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote_for(sys_path: tuple[str, ...], preload: tuple[str, ...], env: dict[str, str]) -> Zygote:
    """This process's zygote for these libraries and this environment, started (or restarted) if needed."""
    key = (sys_path, preload, tuple(sorted(env.items())))
    with _zygotes_lock:
        zygote = _zygotes.get(key)
        if zygote is None or not zygote.alive():
            zygote = _zygotes[key] = Zygote(sys_path, preload, env)
        return zygote


@atexit.register
def close_all() -> None:
    """Stop this process's zygotes (children forked from them die too)."""
    with _zygotes_lock:
        for zygote in _zygotes.values():
            if zygote.owner == os.getpid():
                zygote.close()
        _zygotes.clear()
