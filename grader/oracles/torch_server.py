"""The torch process's own code: import PyTorch at once, then compute the oracle methods the grader asks for.

Started by grader.oracles.torch_process, never by hand. It says ``ready`` (with how long torch took to import) or
why torch would not import, then answers each request, ``{"oracle": "module:Class", "method", "args", "kwargs"}``
with the values encoded by grader.warm.codec, with the value, the builtin exception the method raised, or why it
cannot answer. It exits when the grader hangs up, and is killed when the grader dies.
"""

from __future__ import annotations

import builtins
import ctypes
import importlib
import os
import signal
import socket
import sys
import time
import types
from pathlib import Path
from typing import Any, Callable

from grader.warm import frames
from grader.warm.codec import Unencodable, decode, encode

PR_SET_PDEATHSIG = 1


def main(fd: int, parent: int) -> None:
    """Serve the grader at the other end of socket ``fd``; ``parent`` is the grader's pid."""
    die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle: it closes this process
    connection = socket.socket(fileno=fd)
    started = time.perf_counter()
    try:
        importlib.import_module("torch.nn.functional")  # torch with it: the reason this process exists
    except Exception as error:
        frames.send(connection, {"failed": f"{type(error).__name__}: {error}"})
        return
    frames.send(connection, {"ready": time.perf_counter() - started})  # how long the import took
    suite_packages_bare()
    answer_all(connection)
    os._exit(0)  # without torch's teardown (0.5 s): nothing is left to save


def die_with(parent: int) -> None:
    """Be killed with SIGKILL when the grader exits, however it exits (Linux's PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(0)


def suite_packages_bare() -> None:
    """Register the grader's suite packages (``grader/suites/<name>/``) as bare packages, their folders only: an
    oracle module is imported without its suite's ``__init__``, whose checks and Hypothesis (0.3 s) it never uses."""
    import grader.suites

    for init in Path(grader.suites.__file__).parent.glob("*/__init__.py"):
        package = types.ModuleType(f"grader.suites.{init.parent.name}")
        package.__path__ = [str(init.parent)]
        sys.modules.setdefault(package.__name__, package)


def answer_all(connection: socket.socket) -> None:
    """Answer requests until the grader hangs up."""
    oracles: dict[str, Any] = {}
    while True:
        try:
            request = frames.receive(connection, None)
        except frames.FrameError:
            return
        try:
            if request["oracle"] not in oracles:
                oracles[request["oracle"]] = made(request["oracle"])
            method = getattr(oracles[request["oracle"]], request["method"])
            args, kwargs = decode(request["args"]), decode(request["kwargs"])
        except Exception as error:
            frames.send(connection, {"unanswered": f"{type(error).__name__}: {error}"})
            continue
        frames.send(connection, outcome(lambda: encode(method(*args, **kwargs))))


def outcome(compute: Callable[[], Any]) -> dict[str, Any]:
    """The reply for one method call: its value, the builtin exception it raised (type and arguments), or why it
    is left for the grader to compute (another exception, a value the codec does not carry)."""
    try:
        return {"value": compute()}
    except Unencodable as error:
        return {"unanswered": str(error)}
    except Exception as error:
        if getattr(builtins, type(error).__name__, None) is not type(error):
            return {"unanswered": f"{type(error).__name__}: {error}"}
        try:
            return {"raised": type(error).__name__, "args": encode(error.args)}
        except Unencodable:
            return {"unanswered": f"{type(error).__name__}: {error}"}


def made(name: str) -> Any:
    """An instance of the PyTorch oracle class called ``module:qualname``; ValueError for anything else."""
    from grader.oracles.torch_oracle import TorchOracle

    module, _, qualname = name.partition(":")
    kind = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(kind, type) and issubclass(kind, TorchOracle)):
        raise ValueError(f"{name} is not a PyTorch oracle")
    return kind()
