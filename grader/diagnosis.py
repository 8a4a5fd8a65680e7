"""Name the likely cause of a failed check from the suite's catalogue of classic mistakes.

A mistake is named when the student's code raised its exception, when the student's outputs equal the mistaken
oracle's (the mutant's), or, for a mistake with twins, when the code fails the shrunk input (and a copy of it with
other values) but none of its twins that way (inputs of other sizes where the mistake makes no difference: square
kernels for "one size used for both sides"), whether it raised or returned wrong values there; a twin that fails
otherwise shows a second mistake, named after the first.

Outputs must match on the shrunk failing input, on copies of it with other random values (so a tiny patterned input
cannot match a mistake by chance) and on a few inputs that passed (a mistake that would have failed them is not the
student's). A mistake that also matches the first, unshrunk failing input explains everything and is preferred; one
that matches only the shrunk input is still named: the code may hold a second mistake that only larger inputs show,
or the mutant may differ from the student's code where it does not matter (the order of a loop that assigns).
"""

from __future__ import annotations

from typing import Any, Sequence

from grader.sandbox.errors import StudentCodeError
from grader.suites.framework import Check, CheckAborted, CheckFailed, Context, Mistake, MistakenOracle, Skipped

RESAMPLED = 3  # copies of the shrunk input with other random values, on which a mutant must match too


def diagnose(check: Check, ctx: Context, failure: CheckFailed, first: Any, shrunk: Any, passing: Sequence[Any],
             mistakes: Sequence[Mistake]) -> str:
    """The sentence of the mistake that best explains the failure (see the module's docstring); '' when none does."""
    candidates = [m for m in mistakes if set(m.functions) & set(check.functions)]
    raised = next((m for m in candidates if m.explains(failure.message)), None)
    if raised is not None:
        return raised.sentence
    correct = ctx.oracle
    try:
        return best_match(check, ctx, correct, failure, first, shrunk, passing, candidates)
    finally:
        ctx.oracle = correct


def best_match(check: Check, ctx: Context, correct: Any, failure: CheckFailed, first: Any, shrunk: Any,
               passing: Sequence[Any], candidates: Sequence[Mistake]) -> str:
    """The first mistake, in the catalogue's order, that explains the first failing input too, else the first that
    explains the shrunk one (on random copies of it and the passing inputs as well); a mistake with twins is
    named as soon as the twins say so (see by_twins)."""
    siblings = resampled(shrunk)
    partial = ""
    for mistake in candidates:
        if mistake.twins is not None:
            named = by_twins(check, ctx, correct, mistake, failure, shrunk, siblings, passing, candidates)
            if named:
                return named
            continue
        if mistake.raised or not matches(check, ctx, mistake, correct, [shrunk, *siblings, *passing]):
            continue
        if first is shrunk or matches(check, ctx, mistake, correct, [first]):
            return mistake.sentence
        partial = partial or (mistake.sentence if siblings else "")
    return partial


def by_twins(check: Check, ctx: Context, correct: Any, mistake: Mistake, failure: CheckFailed, shrunk: Any,
             siblings: Sequence[Any], passing: Sequence[Any], candidates: Sequence[Mistake]) -> str:
    """The mistake's sentence when the code fails a copy of ``shrunk`` with other values too (the failure comes from
    the sizes, not from a pattern of values such as a tie) and fails none of the twins the way it fails ``shrunk``
    (an exception that only a non-square kernel raises); where a twin fails otherwise, the mistake that explains that
    failure is named after it ('' when the twins do not single the mistake out)."""
    ctx.oracle = correct
    twins = mistake.twins(shrunk) if mistake.twins is not None else []
    if not twins or (siblings and all(passes(check, ctx, sibling) for sibling in siblings)):
        return ""
    failures = [attempt(check, ctx, twin) for twin in twins]
    if any(f is not None and f.kind in (failure.kind, UNDECIDED) for f in failures):
        return ""
    second = next(((twin, f) for twin, f in zip(twins, failures) if f is not None), None)
    if second is None:
        return mistake.sentence
    others = [m for m in candidates if m.twins is None]
    also = diagnose(check, ctx, second[1], second[0], second[0], passing, others)
    return f"{mistake.sentence} {SECOND_MISTAKE}{also}" if also else mistake.sentence


SECOND_MISTAKE = "Once that is fixed, a second mistake remains: "
UNDECIDED = "undecided"  # the check could not say (an input skipped, a call that timed out)


def resampled(case: Any) -> list[Any]:
    """Copies of ``case`` with other random values (same shapes and parameters), where its type can make them."""
    resample = getattr(case, "resampled", None)
    return [resample(seed) for seed in range(1, RESAMPLED + 1)] if resample is not None else []


def matches(check: Check, ctx: Context, mistake: Mistake, correct: Any, cases: Sequence[Any]) -> bool:
    """Whether the check passes on every case when the oracle makes ``mistake``."""
    ctx.oracle = MistakenOracle(correct, mistake)
    return all(passes(check, ctx, case) for case in cases)


def passes(check: Check, ctx: Context, case: Any) -> bool:
    """Whether the check's body holds on ``case`` with the context's oracle."""
    return attempt(check, ctx, case) is None


def attempt(check: Check, ctx: Context, case: Any) -> CheckFailed | None:
    """How the check's body fails on ``case`` with the context's oracle (None: it holds); where it cannot say (the
    input is skipped, a call times out), a failure of kind UNDECIDED."""
    try:
        check.body(ctx, case)
    except CheckFailed as failure:
        return failure
    except (CheckAborted, StudentCodeError, ValueError, Skipped) as error:
        return CheckFailed.of_kind(UNDECIDED)(str(error))
    return None
