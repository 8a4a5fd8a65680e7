"""Name the likely cause of a failed check from the suite's catalogue of classic mistakes.

A mistake is named when the student's code raised its exception, when the student's outputs equal the mistaken
oracle's (the mutant's), or, for a mistake with twins, when the code fails the shrunk input (and copies of it with
other values) but passes every twin of it (inputs of other sizes where the mistake makes no difference: square
kernels for "one size used for both sides"), whether it raised or returned wrong values there.

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

RESAMPLED = 2  # copies of the shrunk input with other random values, on which a mutant must match too


def diagnose(check: Check, ctx: Context, failure: CheckFailed, first: Any, shrunk: Any, passing: Sequence[Any],
             mistakes: Sequence[Mistake]) -> str:
    """The sentence of the mistake that best explains the failure (see the module's docstring); '' when none does."""
    candidates = [m for m in mistakes if set(m.functions) & set(check.functions)]
    raised = next((m for m in candidates if m.explains(failure.message)), None)
    if raised is not None:
        return raised.sentence
    correct = ctx.oracle
    siblings = resampled(shrunk)
    partial = ""
    try:
        for mistake in candidates:
            if mistake.twins is not None:
                if passes_twins(check, ctx, mistake, correct, shrunk, siblings):
                    return mistake.sentence
                continue
            if mistake.raised or not matches(check, ctx, mistake, correct, [shrunk, *siblings, *passing]):
                continue
            if first is shrunk or matches(check, ctx, mistake, correct, [first]):
                return mistake.sentence
            partial = partial or (mistake.sentence if siblings else "")
    finally:
        ctx.oracle = correct
    return partial


def resampled(case: Any) -> list[Any]:
    """Copies of ``case`` with other random values (same shapes and parameters), where its type can make them."""
    resample = getattr(case, "resampled", None)
    return [resample(seed) for seed in range(1, RESAMPLED + 1)] if resample is not None else []


def matches(check: Check, ctx: Context, mistake: Mistake, correct: Any, cases: Sequence[Any]) -> bool:
    """Whether the check passes on every case when the oracle makes ``mistake``."""
    ctx.oracle = MistakenOracle(correct, mistake)
    return all(passes(check, ctx, case) for case in cases)


def passes_twins(check: Check, ctx: Context, mistake: Mistake, correct: Any, case: Any,
                 siblings: Sequence[Any]) -> bool:
    """Whether the student's code, which fails ``case``, fails its copies with other values too (the failure comes
    from the sizes, not from a pattern of values) and passes every twin of it (with the correct oracle)."""
    ctx.oracle = correct
    twins = mistake.twins(case) if mistake.twins is not None else []
    return (bool(twins) and not any(passes(check, ctx, sibling) for sibling in siblings)
            and all(passes(check, ctx, twin) for twin in twins))


def passes(check: Check, ctx: Context, case: Any) -> bool:
    """Whether the check's body holds on ``case`` with the context's oracle."""
    try:
        check.body(ctx, case)
    except (CheckFailed, CheckAborted, StudentCodeError, ValueError, Skipped):
        return False
    return True
