"""A stand-in for the sandbox that calls trusted functions in this process, to test the suites themselves.

The mutation test grades each classic mistake of a suite's catalogue, built
from the oracle, as if it were a submission: every mistake must fail a check.
Never use this for student code: it has none of the sandbox's protections.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

from grader.sandbox import wire
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.process import CallResult, LoadReport


class InProcess:
    """Answers ``call`` and ``probe`` like Sandbox does, from a dict of trusted functions and the suite's probe
    module; caches stay in a local table."""

    level = "in-process (trusted code only)"

    def __init__(self, functions: Mapping[str, Callable[..., Any]], probes: ModuleType | None = None) -> None:
        self.functions = dict(functions)
        self.probes = probes
        self.kept: dict[int, Any] = {}

    def load(self) -> LoadReport:
        return LoadReport((), {name: "function" for name in self.functions})

    def call(self, function: str, *args: Any, keep: tuple[int, ...] = (), seconds: float | None = None,
             **kwargs: Any) -> CallResult:
        """Call a trusted function on copies of the arguments, keeping the results at ``keep`` as handles."""
        args = tuple(self.kept[a.number] if isinstance(a, wire.Handle) else copy.deepcopy(a) for a in args)
        value = self._run(function, lambda: self.functions[function](*args, **kwargs))
        if keep and isinstance(value, tuple):
            value = tuple(self._keep(item) if i in keep else item for i, item in enumerate(value))
        return CallResult(value, ())

    def probe(self, name: str, *args: Any, label: str, seconds: float | None = None) -> CallResult:
        """Run one of the suite's probes here, on the trusted functions, as the child runs it on a submission's."""
        probe = getattr(self.probes, name, None) if not name.startswith("_") else None
        if probe is None:
            raise StudentCodeError("missing", f"the suite has no probe {name!r} for {label}")
        return CallResult(self._run(label, lambda: probe(self.functions, *copy.deepcopy(args))), ())

    def cpu_seconds(self) -> float:
        """No process of its own to count: the mutants run in the grader's, whose budget is wall-clock time."""
        return 0.0

    def take_output(self) -> str:
        return ""

    @staticmethod
    def _run(label: str, call: Callable[[], Any]) -> Any:
        """What ``call`` returns; the exceptions a mistaken oracle (or network) raises fail the check as a student's
        would (PyTorch raises RuntimeError for a layer that does not fit its input)."""
        try:
            return call()
        except (ValueError, TypeError, KeyError, RuntimeError) as error:
            raise StudentCodeError("exception", f"{label} raised {type(error).__name__}: {error}") from None

    def _keep(self, item: Any) -> wire.Handle:
        number = len(self.kept) + 1
        self.kept[number] = item
        return wire.Handle(number)


@functools.lru_cache(maxsize=None)
def load_probes(modules: tuple[tuple[str, Path], ...]) -> ModuleType | None:
    """A policy's probe modules loaded here by file path, in order, as the child loads them; the last holds the
    probes (None when there are none)."""
    loaded = None
    for name, path in modules:
        spec = importlib.util.spec_from_file_location(name, path)
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        spec.loader.exec_module(loaded)
    return loaded
