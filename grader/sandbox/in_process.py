"""A stand-in for the sandbox that calls trusted functions in this process, to test the suites themselves.

The mutation test grades each classic mistake of a suite's catalogue, built
from the oracle, as if it were a submission: every mistake must fail a check.
Never use this for student code: it has none of the sandbox's protections.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping

from grader.sandbox import wire
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.process import CallResult, LoadReport


class InProcess:
    """Answers ``call`` like Sandbox does, from a dict of trusted functions; caches stay in a local table."""

    level = "in-process (trusted code only)"

    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        self.functions = dict(functions)
        self.kept: dict[int, Any] = {}

    def load(self) -> LoadReport:
        return LoadReport((), {name: "function" for name in self.functions})

    def call(self, function: str, *args: Any, keep: tuple[int, ...] = (), seconds: float | None = None,
             **kwargs: Any) -> CallResult:
        """Call a trusted function on copies of the arguments, keeping the results at ``keep`` as handles."""
        args = tuple(self.kept[a.number] if isinstance(a, wire.Handle) else copy.deepcopy(a) for a in args)
        try:
            value = self.functions[function](*args, **kwargs)
        except (ValueError, TypeError, KeyError) as error:
            raise StudentCodeError("exception", f"{function} raised {type(error).__name__}: {error}") from None
        if keep and isinstance(value, tuple):
            value = tuple(self._keep(item) if i in keep else item for i, item in enumerate(value))
        return CallResult(value, ())

    def take_output(self) -> str:
        return ""

    def _keep(self, item: Any) -> wire.Handle:
        number = len(self.kept) + 1
        self.kept[number] = item
        return wire.Handle(number)
