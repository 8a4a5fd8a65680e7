"""Run one check on one submission: a Hypothesis property run with a fixed seed and no example database, so
grading is deterministic. A failure is shrunk to the smallest input that still fails, then diagnosed against the
suite's catalogue of mistakes (grader.diagnosis); a timeout or crash stops the check at once. ``settle`` turns what
the attempts saw into the check's result; grader.families runs several checks on one stream with the same pieces.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any, Callable, Iterator, Sequence

from hypothesis import HealthCheck, Phase, Verbosity, example, given, reject, seed, settings
from hypothesis.errors import Flaky, Unsatisfiable, UnsatisfiedAssumption
from hypothesis.internal.conjecture import providers

from grader import compare
from grader.diagnosis import diagnose
from grader.results import CRASHED, FAILED, NOT_GRADABLE, NOT_GRADED, PASSED, TIMED_OUT, CheckResult
from grader.sandbox.process import LoadReport
from grader.settings import Profile
from grader.suites.framework import Check, CheckAborted, CheckFailed, Context, Mistake, Skipped


MAX_SHOWN_ARRAY = 64


class ShrinkBudgetSpent(BaseException):
    """Stops Hypothesis after a fixed number of tries at shrinking a failure (a count, so grading stays
    deterministic); the smallest failing case found so far is kept."""


class BudgetSpent(BaseException):
    """Stops Hypothesis when the submission has used up its time budget (its argument: which clock ran out): slow
    calls that each stay within the time limit must not cost hours."""


class EnoughSkipped(BaseException):
    """Stops Hypothesis once the first ``SKIPS_BEFORE_NOT_GRADED`` inputs were all skipped (the code the check relies
    on failed on each: the check is not graded), or ``SKIPS_AT_MOST`` inputs were (the check is graded on the inputs
    it could use), without waiting for Hypothesis to give up after ten times its examples."""


SKIPS_BEFORE_NOT_GRADED, SKIPS_AT_MOST = 20, 60


class Attempts:
    """The property Hypothesis runs for one check: it counts cases (and those it graded), keeps the last one and
    the smallest failure of the first failure's kind, and stops shrinking once ``budget`` more cases have been
    tried after the first failure. Once a failure is found, failures of other kinds are rejected as inputs this
    search cannot use, so that shrinking keeps to the first kind; ``kind`` sets it from the start (a check that
    failed in its family, run again alone, shrinks the kind of failure the family saw)."""

    def __init__(self, check: Check, ctx: Context, budget: int, kind: str = "") -> None:
        self.check, self.ctx, self.budget, self.kind = check, ctx, budget, kind
        self.count, self.graded, self.skipped, self.case, self.first_failure = 0, 0, 0, None, 0
        self.failure: CheckFailed | None = None
        self.failing_case: Any = None
        self.first_failing_case: Any = None
        self.passing: list[Any] = []
        self.inputs = hashlib.sha256()
        self.notes: list[str] = []
        self.observed: list[Any] = []
        self.skips: list[str] = []
        self.stop: BaseException | None = None  # in a family: what ended this check's part of the stream

    def try_input(self, case: Any) -> None:
        """Try this check on one input of its family's stream; a failure or a stop is kept, a skip only counted."""
        self.activate()
        try:
            self(case)
        except (CheckFailed, UnsatisfiedAssumption):
            pass
        except (EnoughSkipped, CheckAborted) as stop:
            self.stop = stop

    def activate(self) -> None:
        """Point the context's per-check records (notes, what was observed, why inputs were skipped) at this check's."""
        self.ctx.notes, self.ctx.observed, self.ctx.skipped = self.notes, self.observed, self.skips

    def __call__(self, case: Any) -> None:
        if self.failure is not None and self.count - self.first_failure >= self.budget:
            raise ShrinkBudgetSpent
        if clock := self.ctx.out_of_time():
            raise BudgetSpent(clock)
        self.case, self.count = case, self.count + 1
        self.record(case)
        try:
            self.body(case)
        except CheckFailed as failure:
            if self.kind and failure.kind != self.kind:
                reject()
            self.graded += 1
            self.keep(failure, case)
            raise
        except Skipped:
            self.skipped += 1
            enough = self.skipped >= SKIPS_AT_MOST or (not self.graded and self.skipped >= SKIPS_BEFORE_NOT_GRADED)
            if enough and self.failure is None:  # once a failure is found, skipped inputs are shrinking's misses
                raise EnoughSkipped from None
            reject()
        self.graded += 1
        if len(self.passing) < PASSING_KEPT:
            self.passing.append(case)

    def body(self, case: Any) -> None:
        """Run the check on ``case``. Where it reads replies of probes that ran next to the student's code, a reply
        the grader cannot use (forged there: a wrong type, a missing field) fails the check instead of the grader."""
        try:
            self.check.body(self.ctx, case)
        except UNUSABLE_REPLY as error:
            if not self.ctx.probed:
                raise
            raise CheckFailed.of_kind("reply")(
                f"the grader could not use what your code's process sent back ({type(error).__name__}: "
                f"{compare.wire_text(str(error))}); does your code change the grader's probes, or the modules they "
                "use?") from None

    def record(self, case: Any) -> None:
        """Add a case to the digest of the inputs this check was given: one seed must give one digest in every
        entry point, for every submission that behaves the same."""
        self.inputs.update(case.describe().encode())
        for name, array in case.arrays().items():
            self.inputs.update(f"{name}{array.dtype}{array.shape}".encode() + array.tobytes())

    def keep(self, failure: CheckFailed, case: Any) -> None:
        """Keep the first failure, then any smaller failing case (of the same kind: others are rejected first), so
        that a shrink that stops early cannot hide the smallest case seen."""
        if self.failure is None:
            self.first_failure, self.first_failing_case, self.kind = self.count, case, failure.kind
        elif case_size(case) >= case_size(self.failing_case):
            return
        self.failure, self.failing_case = failure, case


UNUSABLE_REPLY = (TypeError, KeyError, AttributeError, IndexError, ValueError, OverflowError, ZeroDivisionError)
PASSING_KEPT = 3  # passing cases a diagnosis must also explain: a mistake that would have failed them is not the one


def case_size(case: Any) -> tuple[int, int, str]:
    """How large a case reads: its number of array elements, then its description's length and text."""
    return sum(a.size for a in case.arrays().values()), len(case.describe()), case.describe()


@contextlib.contextmanager
def same_inputs_everywhere() -> Iterator[None]:
    """Hypothesis 6.1xx now and then draws a numeric literal found in any loaded module outside site-packages (the
    editable grader, reference/, a report renderer), so what this process has imported would change the inputs;
    while a check runs, that pool is empty and one seed gives one input sequence in every entry point."""
    collect = providers._get_local_constants
    providers._get_local_constants = lambda: NO_CONSTANTS
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = collect
        providers.CONSTANTS_CACHE.cache.clear()


NO_CONSTANTS = providers.Constants()


# No reuse (there is no example database), no targeting (no check asks for it), no explaining: after shrinking,
# Hypothesis would run more inputs to explain the failure in a message nobody reads.
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)


def hypothesis_test(cases: Any, examples: Sequence[Any], attempt: Callable[[Any], None], profile: Profile,
                    run_seed: int) -> Callable[[], None]:
    """``attempt`` as a Hypothesis test of ``cases``: the fixed examples first, deterministic, quiet, no example
    database."""

    def prove(case: Any) -> None:
        attempt(case)

    test = given(cases)(prove)
    for case in reversed(examples):
        test = example(case)(test)
    test = settings(max_examples=profile.max_examples, database=None, deadline=None, derandomize=False,
                    report_multiple_bugs=False, verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck),
                    print_blob=False, phases=PHASES)(test)
    return seed(run_seed)(test)


def run_check(check: Check, ctx: Context, loaded: LoadReport, profile: Profile, run_seed: int,
              mistakes: Sequence[Mistake] = (), kind: str = "") -> CheckResult:
    """Run one check's property and turn its outcome into a result; never raises for student faults. With ``kind``,
    only a failure of that kind counts (see Attempts)."""
    started = time.monotonic()
    early = not_runnable(check, ctx, loaded)
    if early is not None:
        return early
    attempts = Attempts(check, ctx, profile.shrink_examples, kind)
    attempts.activate()
    stop: BaseException | None = None
    try:
        with same_inputs_everywhere():
            hypothesis_test(check.cases, check.examples, attempts, profile, run_seed)()
    except STOPS as stopped:
        stop = stopped
    return settle(attempts, stop, mistakes, time.monotonic() - started)


STOPS = (CheckFailed, ShrinkBudgetSpent, Unsatisfiable, EnoughSkipped, BudgetSpent, CheckAborted, Flaky)


def not_runnable(check: Check, ctx: Context, loaded: LoadReport) -> CheckResult | None:
    """The result of a check that cannot run at all (not on this machine, or the functions it calls are missing)."""
    reason = check.unavailable(ctx) if check.unavailable else ""
    if reason:
        return CheckResult(check.name, check.title, check.functions, 0.0, 0.0, NOT_GRADABLE, reason,
                           visibility=check.visibility)
    missing = missing_functions(check, loaded)
    return unrun(check, missing) if missing else None


def settle(attempts: Attempts, stop: BaseException | None, mistakes: Sequence[Mistake],
           seconds: float) -> CheckResult:
    """A check's result from what its attempts saw and what stopped them (None: every input was tried)."""
    check, ctx = attempts.check, attempts.ctx
    result = CheckResult(check.name, check.title, check.functions, check.points, 0.0, FAILED,
                         visibility=check.visibility)
    if attempts.failure is not None and not isinstance(stop, (BudgetSpent, CheckAborted, Flaky)):
        result.message, result.evidence = attempts.failure.message, attempts.failure.evidence
        result.counterexample = counterexample(attempts.failing_case, check.shows)
        result.diagnosis = attempts.failure.cause or diagnose(check, ctx, attempts.failure, attempts.first_failing_case,
                                                              attempts.failing_case, attempts.passing, mistakes)
    elif stop is None or (isinstance(stop, (Unsatisfiable, EnoughSkipped)) and attempts.graded):
        result.status, result.score = PASSED, check.points
    elif isinstance(stop, BudgetSpent):
        result.status, result.message = TIMED_OUT, budget_spent("stopped", ctx.budget_seconds, stop.args[0])
    elif isinstance(stop, CheckAborted):
        result.status = {"timeout": TIMED_OUT, "crash": CRASHED}.get(stop.error.kind, FAILED)
        result.message = stop.error.message
        result.counterexample = counterexample(attempts.case, check.shows) if stop.ran else None
        result.stopped_in = stop.function
    elif isinstance(stop, Flaky):
        result.message = ("it failed on an input and then passed on the same input: the result depends on "
                          "something besides the arguments (randomness, or state kept between calls)")
    if attempts.graded == 0 and result.status == FAILED and not result.message:
        result.status, result.score, result.message = NOT_GRADED, 0.0, not_graded(check, attempts.skips)
    result.examples_run, result.seconds = attempts.graded, seconds
    result.inputs = attempts.inputs.hexdigest()[:16]
    result.notes = list(dict.fromkeys(attempts.notes))
    result.evidence = [piece for piece in attempts.observed if piece not in result.evidence] + result.evidence
    result.output = ctx.sandbox.take_output()
    return result


def not_graded(check: Check, skipped: Sequence[str]) -> str:
    """Why a check graded no input: what the code it relies on did on every input it was given."""
    if not skipped:
        return "not graded: none of the inputs this check was given could tell a right answer from a constant"
    return (f"not graded: on every input this check was given ({len(skipped)}), code it needs failed first: "
            f"{skipped[0]}. Fix that (the value checks say how), then this check can grade "
            f"{' and '.join(check.functions)}")


def missing_functions(check: Check, loaded: LoadReport) -> str:
    """Why this check cannot call the student's functions at all, or '' if it can."""
    if loaded.failure is not None:
        return loaded.failure.message
    absent = [f for f in check.functions if loaded.names.get(f) not in ("function", "class")]
    if not absent:
        return ""
    because = f" (loading it reported: {loaded.cell_errors[0]})" if loaded.cell_errors else ""
    return f"{' and '.join(absent)} is not defined in your submission{because}"


def budget_spent(what: str, budget: float, clock: str) -> str:
    """Why a check was stopped, or never started: the submission used up its time budget on ``clock``."""
    return (f"{what}: the submission used up its time budget ({budget:.0f} s of {clock} for all checks, counting "
            "every process and thread it ran); each call stayed within its own time limit, but together they are too "
            "slow: make the graded functions faster")


def unrun(check: Check, reason: str, status: str = FAILED) -> CheckResult:
    """A check that could not run, failed (or timed out) with the reason: no points."""
    return CheckResult(check.name, check.title, check.functions, check.points, 0.0, status, reason,
                       visibility=check.visibility)


def counterexample(case: Any, shows: tuple[str, ...] | None) -> dict[str, Any] | None:
    """The failing input, described, with the arrays the check uses when they are small enough to read."""
    if case is None:
        return None
    inputs = {name: a for name, a in case.arrays().items() if shows is None or name in shows}
    arrays = {name: a.tolist() for name, a in inputs.items() if a.size <= MAX_SHOWN_ARRAY}
    shapes = {name: list(a.shape) for name, a in inputs.items()}
    return {"description": case.describe(), "arrays": arrays, "shapes": shapes}
