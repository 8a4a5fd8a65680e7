"""What a suite is made of: checks (properties over generated inputs) and the context they run in.

A check is a function ``body(ctx, case)`` plus a Hypothesis strategy of cases
and a few fixed examples. The engine (``grader.runner``) runs it through
Hypothesis against one submission's sandbox; the body calls student functions
through ``ctx`` and states what must hold with ``ctx.expect_*``. The first
failure is shrunk to the smallest case that still fails.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import numpy as np
from hypothesis import strategies as st

from grader import compare
from grader.evidence import Evidence, StudentTraceback, ValueMismatch
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.policy import Limits, Policy
from grader.sandbox.process import CallResult
from grader.settings import Settings
from grader.suites.agreement import Agreement


class Case(Protocol):
    """A generated input: it can describe itself in one line and list its arrays."""

    def describe(self) -> str: ...

    def arrays(self) -> Mapping[str, np.ndarray]: ...


class CheckFailed(Exception):
    """The property does not hold for this case; ``evidence`` is what the report shows besides the message,
    ``kind`` what went wrong (a wrong shape, wrong values, an exception...), ``cause`` the likely cause where the
    check itself knows it (a network that matches a known variant), else the catalogue names it (grader.diagnosis)."""

    kind = "failed"

    def __init__(self, message: str, evidence: Sequence[Evidence] = (), cause: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.evidence = list(evidence)
        self.cause = cause

    @staticmethod
    @functools.cache
    def of_kind(kind: str) -> type["CheckFailed"]:
        """A subclass per kind of failure: Hypothesis shrinks each exception type apart, so a failure of one kind
        (wrong values) is never traded while shrinking for a failure of another (a wrong shape)."""
        return type(f"CheckFailed[{kind}]", (CheckFailed,), {"kind": kind})


class Skipped(Exception):
    """This input cannot grade the check (code it relies on failed on it): the engine draws another instead."""


class CheckAborted(BaseException):
    """A timeout or crash: Hypothesis lets a BaseException through, so the check stops without shrinking."""

    def __init__(self, error: StudentCodeError, function: str, ran: bool = True) -> None:
        super().__init__(error.message)
        self.error = error
        self.function = function  # the student function (or probe) that hung, crashed or flooded
        self.ran = ran  # False: the call was never made (the function hung or crashed in an earlier check)


def named_after(function: str, error: StudentCodeError) -> StudentCodeError:
    """The error with the function that hung, crashed or flooded named first ("conv_forward timed out ...")."""
    if error.message.startswith(function):
        return error
    joiner = " crashed: " if error.kind == "crash" else " "
    return StudentCodeError(error.kind, f"{function}{joiner}{error.message}", error.traceback)


@dataclass(frozen=True)
class Check:
    """One graded property of the student's code."""

    name: str
    title: str
    functions: tuple[str, ...]
    points: float
    body: Callable[["Context", Any], None]
    cases: st.SearchStrategy[Any]
    examples: tuple[Any, ...] = ()
    visibility: str = "visible"
    shows: tuple[str, ...] | None = None
    unavailable: Callable[["Context"], str] | None = None


@dataclass(frozen=True)
class Mistake:
    """A classic mistake, as a patch of the oracle: ``patches`` maps an oracle method to a function of
    (the correct oracle, the method's arguments) that computes what the mistaken code returns. A mistake that
    makes code raise rather than return wrong values has ``raised``: a pattern of the exception it raises, which
    names it in the feedback (the patches then raise it, for the mutation test). A mistake whose effect varies with
    how the code is written (it raises here, returns wrong values there) has ``twins`` instead: the failing input's
    twins on which the mistake makes no difference (the same input with a square kernel); code that fails the input
    but passes all its twins is named (grader.diagnosis), and the patches are only the mutation test's."""

    name: str
    sentence: str
    functions: tuple[str, ...]
    patches: Mapping[str, Callable[..., Any]]
    raised: str = ""
    twins: Callable[[Any], list[Any]] | None = None

    def explains(self, failure: str) -> bool:
        """Whether a failure message is this mistake's exception (only for mistakes that raise)."""
        return bool(self.raised) and re.search(self.raised, failure) is not None


class MistakenOracle:
    """The oracle with one mistake made: patched methods give the mistaken values, the rest are correct."""

    def __init__(self, oracle: Any, mistake: Mistake) -> None:
        self.correct, self.mistake = oracle, mistake
        self.name = f"{oracle.name} with {mistake.name}"

    def __getattr__(self, method: str) -> Any:
        patch = self.mistake.patches.get(method)
        if patch is None:
            return getattr(self.correct, method)
        return lambda *args, **kwargs: patch(self.correct, *args, **kwargs)


class SharedOracle:
    """An oracle that answers each question once while checks share an input: a question is the method and the
    very objects it is asked about (kept alive with the answer, so that no other object can take their ids)."""

    def __init__(self, oracle: Any, answers: dict[Any, Any]) -> None:
        self.oracle, self.answers = oracle, answers

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.oracle, name)
        if not callable(method):
            return method

        def answer(*args: Any, **kwargs: Any) -> Any:
            key = ("oracle", name, tuple(map(id, args)), tuple((k, id(v)) for k, v in sorted(kwargs.items())))
            if key not in self.answers:
                self.answers[key] = (method(*args, **kwargs), args, kwargs)
            return self.answers[key][0]

        return answer


def arguments_digest(args: tuple, kwargs: dict[str, Any]) -> str:
    """What a call's arguments hold: arrays by dtype, shape and bytes, containers item by item, anything else (a
    number, a string, a cache's handle) by its repr."""
    digest = hashlib.sha256()

    def add(value: Any) -> None:
        if isinstance(value, np.ndarray):
            digest.update(f"array {value.dtype} {value.shape}".encode() + np.ascontiguousarray(value).tobytes())
        elif isinstance(value, (list, tuple, dict)):
            items = sorted(value.items(), key=repr) if isinstance(value, dict) else value
            digest.update(f"{type(value).__name__} {len(value)}".encode())
            for item in items:
                add(item)
        else:
            digest.update(f"{type(value).__name__} {value!r};".encode())

    add((args, kwargs))
    return digest.hexdigest()


@dataclass(frozen=True)
class Oracles:
    """Where a suite kept outside the grader gets expected values: ``pytorch()`` (students' local checks) and
    ``reference(module)``, an adapter of the course's ``reference/<name>.py`` (official grading)."""

    pytorch: Callable[[], Any]
    reference: Callable[[ModuleType], Any]


@dataclass
class Suite:
    """An assignment's checks, the functions students write, how their code may run, and its classic mistakes."""

    assignment: str
    functions: tuple[str, ...]
    policy: Policy
    oracles: Oracles  # where expected values come from: PyTorch, and an adapter of the reference
    checks: list[Check] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)
    extra_budget_seconds: float = 0.0  # what its own long calls (a training run) add to a submission's time budget
    wants_gpu: bool = False  # a batch on a cluster sends its submissions to workers that have one
    minutes_on_full_mnist: bool = False  # grading the reference on the full MNIST takes minutes: validate --full
    reads_mnist: bool = False  # its checks train on MNIST: `check` and `batch` refuse to start where none is found
    # Gradescope leaderboard entries from a finished grade's results (what the grader measured, never what the
    # student's code reported): (name, value, "asc" or "desc").
    leaderboard: Callable[[list[Any]], list[tuple[str, float, str]]] | None = None
    agreements: list[Agreement] = field(default_factory=list)  # what its two oracles must agree on (validate)
    home: Path | None = None  # the course folder of a suite kept outside the grader (its reference/ is there)

    def mistake(self, name: str, sentence: str, functions: Sequence[str], raised: str = "",
                twins: Callable[[Any], list[Any]] | None = None, **patches: Callable[..., Any]) -> None:
        """Add a classic mistake to the catalogue (see Mistake)."""
        self.mistakes.append(Mistake(name, sentence, tuple(functions), patches, raised, twins))

    def check(self, title: str, *, points: float, functions: Sequence[str], cases: st.SearchStrategy[Any],
              examples: Sequence[Any] = (), visibility: str = "visible",
              shows: Sequence[str] | None = None, unavailable: Callable[["Context"], str] | None = None) -> Callable:
        """Register the decorated ``body(ctx, case)`` as a check; ``shows`` names the input arrays a failure shows;
        ``unavailable(ctx)`` says why the check cannot run on this machine ('' when it can)."""

        def register(body: Callable[["Context", Any], None]) -> Callable[["Context", Any], None]:
            self.checks.append(Check(body.__name__, title, tuple(functions), points, body, cases,
                                     tuple(examples), visibility, tuple(shows) if shows else None, unavailable))
            return body

        return register


class Context:
    """What a check body uses: the student's functions (through the sandbox) and the oracle."""

    def __init__(self, sandbox: Any, oracle: Any, settings: Settings = Settings(),
                 budget_seconds: float = math.inf, probed: bool = False) -> None:
        self.sandbox = sandbox
        self.probed = probed  # the checks read replies of probes that ran next to student code (which may forge them)
        self.budget_seconds = budget_seconds  # wall-clock time and CPU time for all of the submission's checks
        self.deadline = time.monotonic() + budget_seconds
        self.oracle = oracle
        self.settings = settings
        self.gave_up_on: dict[str, StudentCodeError] = {}
        self.memo: dict[str, Any] = {}
        self.shared: dict[Any, Any] | None = None  # while checks share one input: the answers given for it
        self.notes: list[str] = []
        self.observed: list[Evidence] = []
        self.skipped: list[str] = []

    def out_of_time(self) -> str:
        """Which clock has used up the submission's time budget ('' while neither has): the CPU time of all its
        processes and threads (read first: spinning many of them cannot buy time from the neighbours it slows), or
        wall-clock time."""
        if self.sandbox.cpu_seconds() >= self.budget_seconds:
            return "CPU time"
        return "wall-clock time" if time.monotonic() >= self.deadline else ""

    def observe(self, note: str, evidence: Evidence) -> None:
        """Record what the grader measured (an accuracy, a loss curve), shown even when the check passes."""
        self.notes.append(note)
        self.observed.append(evidence)

    def call(self, function: str, *args: Any, keep: tuple[int, ...] = (), **kwargs: Any) -> Any:
        """Call a student function; a failure to return, or a modified input, fails the check. While checks share
        an input, a call with the same arguments is made once and its answer (or failure) given to each."""
        run = functools.partial(self._call, function, lambda: self.sandbox.call(function, *args, keep=keep, **kwargs))
        if self.shared is None:
            return run().value
        key = ("call", function, keep, arguments_digest(args, kwargs))
        if key not in self.shared:
            try:
                self.shared[key] = run()
            except CheckFailed as failure:
                self.shared[key] = failure
        if isinstance(self.shared[key], CheckFailed):
            raise self.shared[key]
        return self.shared[key].value

    @contextlib.contextmanager
    def sharing_answers(self) -> Iterator[None]:
        """While the checks of a family try one input: the student's answers and the oracle's are each computed
        once (calls repeated with equal arguments, oracle questions about the same objects)."""
        oracle, self.shared = self.oracle, {}
        self.oracle = SharedOracle(oracle, self.shared)
        try:
            yield
        finally:
            self.oracle, self.shared = oracle, None

    def probe(self, name: str, *args: Any, label: str, seconds: float | None = None) -> Any:
        """Run a grader probe on the student's code in the child (PyTorch assignments); failures as for call."""
        return self._call(label, lambda: self.sandbox.probe(name, *args, label=label, seconds=seconds)).value

    def remember(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute an expensive result once per submission (a training run) and share it between checks."""
        if key not in self.memo:
            try:
                self.memo[key] = compute()
            except (CheckFailed, CheckAborted) as failure:
                self.memo[key] = failure
        if isinstance(self.memo[key], (CheckFailed, CheckAborted)):
            raise self.memo[key]
        return self.memo[key]

    def _call(self, function: str, run: Callable[[], CallResult]) -> CallResult:
        """Call through the sandbox; a function that timed out, crashed or ran out of memory once is not retried."""
        earlier = self.gave_up_on.get(function)
        if earlier is not None:
            raise CheckAborted(StudentCodeError(earlier.kind, f"not run: in an earlier check, {earlier.message}"),
                               function, ran=False)
        try:
            result: CallResult = run()
        except StudentCodeError as error:
            if error.aborts_check:
                self.gave_up_on[function] = named_after(function, error)
                raise CheckAborted(self.gave_up_on[function], function) from None
            evidence = [StudentTraceback(error.traceback)] if error.traceback else []
            raise CheckFailed.of_kind("exception")(error.message, evidence) from None
        if result.modified_args:
            names = ", ".join(f"argument {i + 1}" for i in result.modified_args)
            raise CheckFailed(f"{function} modified its input ({names}) in place; work on a copy instead")
        return result

    def given(self, compute: Callable[[], Any]) -> Any:
        """Run code this check relies on but does not grade (the student's own forward, before the backward it
        grades): where it fails, this input is skipped (that failure is charged by its own checks)."""
        try:
            return compute()
        except CheckFailed as failure:
            self.skipped.append(failure.message)
            raise Skipped from None

    def unpack(self, function: str, value: Any, names: Sequence[str]) -> tuple[Any, ...]:
        """Check that a function returned a tuple of ``len(names)`` items, and return them."""
        if not isinstance(value, tuple) or len(value) != len(names):
            got = compare.describe_type(value)
            if isinstance(value, (tuple, list)):
                got += f" of {len(value)} items"
            raise CheckFailed(f"{function} returned {got}; it must return a tuple ({', '.join(names)})")
        return value

    def expect_array(self, what: str, actual: Any, expected: np.ndarray, case: Case) -> None:
        """Fail unless ``actual`` is a finite array equal to ``expected`` within the dtype's tolerance."""
        problem = compare.check_array(what, actual, expected)
        if problem is not None:
            raise CheckFailed.of_kind(problem.kind)(f"{problem.message} for {case.describe()}",
                                                    [problem.evidence] if problem.evidence else [])

    def expect_dtype(self, what: str, actual: Any, expected: np.ndarray, case: Case) -> None:
        """Fail unless an output with the right values has ``expected``'s dtype (the input's). Inputs where the values
        are wrong are skipped (the value checks charge those), and so are inputs whose right output holds fewer than
        two distinct values (all zeros, one number), so that a stub returning a constant earns no dtype points."""
        if np.unique(expected).size < 2:
            raise Skipped
        self.given(lambda: self.expect_array(what, actual, expected, case))
        problem = compare.check_dtype(what, actual, expected.dtype)
        if problem is not None:
            raise CheckFailed.of_kind(problem.kind)(f"{problem.message}, for {case.describe()}")

    def expect_value(self, what: str, actual: Any, expected: Any, case: Case) -> None:
        """Fail unless a plain value (an int, a tuple of ints) equals the expected one exactly."""
        problem = compare.check_value(what, actual, expected)
        if problem is not None:
            raise CheckFailed(f"{problem} for {case.describe()}",
                              [ValueMismatch(compare.shown(expected), compare.shown(actual))])

    def expect_raises(self, function: str, exception: str, case: Case, *args: Any, **kwargs: Any) -> None:
        """Fail unless calling ``function`` raises the named exception type."""
        try:
            value = self._call(function, lambda: self.sandbox.call(function, *args, **kwargs)).value
        except CheckFailed as failure:
            if failure.message.startswith(f"{function} raised {exception}"):
                return
            raise CheckFailed(f"{failure.message}; expected {exception} for {case.describe()}") from None
        got = compare.wire_text(value)
        raise CheckFailed(f"{function} returned {got}; it must raise {exception} for {case.describe()}")


# A mistake every numpy assignment meets: NumPy 2 refuses int() and float() of an array, even of one element.
INT_OF_ARRAY = r"only (0-dimensional|length-1|size-1) arrays can be converted to Python scalars"
INT_OF_ARRAY_SENTENCE = ("int() or float() of a numpy array raises TypeError under NumPy 2, even when the array holds "
                         "one element: take the element first (a[0], a.item()), or keep the value as an array.")


def int_of_array(value: int) -> int:
    """What ``int()`` of a one-element array does under NumPy 2 (raise TypeError): the mistake's mutant."""
    return int(np.array([value]))


def float32_only(x: np.ndarray) -> None:
    """Skip an input that is not float32: a dtype check proves nothing on float64 in, float64 out. Skipping (rather
    than drawing float32 inputs of its own) lets a dtype check share the value checks' stream of inputs."""
    if x.dtype != np.float32:
        raise Skipped


def transposed(out: np.ndarray) -> np.ndarray:
    """An NCHW output with H and W swapped: what a loop filling ``out[n, c, j, i]`` returns (a catalogued mistake)."""
    return np.ascontiguousarray(out.transpose(0, 1, 3, 2))


GRADER_ONLY = {name: f"{name} cannot be imported from a submission" for name in ("grader", "reference")}


def numpy_only(assignment: str) -> Policy:
    """The sandbox policy of a numpy-only assignment: numpy preloaded, torch and scipy refused."""
    refusal = f"{{}} is not allowed in the {assignment} assignment: write it with numpy only"
    blocked = {name: refusal.format(name) for name in ("torch", "scipy", "tensorflow", "jax")}
    return Policy(blocked_imports=blocked | GRADER_ONLY)


def with_torch(call_seconds: float, threads: int = 1, probes: tuple[tuple[str, Path], ...] = ()) -> Policy:
    """The sandbox policy of a PyTorch assignment: torch preloaded, and the assignment's probes (``(module name,
    file)`` pairs the child loads in order before any student code; the last one's functions are the probes)."""
    return Policy(
        limits=Limits(call_seconds=call_seconds, memory_mib=6144),
        preload=("numpy", "torch"),
        blocked_imports=GRADER_ONLY,
        threads=threads,
        probe_modules=probes,
    )
