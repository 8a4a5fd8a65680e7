"""Checks that draw from one strategy object run together on one stream of its inputs: Hypothesis draws each
input once, and the student's functions and the oracle answer it once, however many checks read the answer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from grader.checking import (Attempts, BudgetSpent, hypothesis_test, not_runnable, run_check, same_inputs_everywhere,
                             settle)
from grader.results import NOT_GRADED, PASSED, CheckResult
from grader.sandbox.process import LoadReport
from grader.settings import Profile
from grader.suites.framework import Check, CheckAborted, Context, Mistake


def families(checks: Sequence[Check]) -> list[list[Check]]:
    """The checks grouped by the strategy object they draw their inputs from, in the order each group first appears:
    checks given the same ``cases`` run on one stream of inputs (see run_family)."""
    groups: dict[int, list[Check]] = {}
    for check in checks:
        groups.setdefault(id(check.cases), []).append(check)
    return list(groups.values())


def run_family(family: Sequence[Check], ctx: Context, loaded: LoadReport, profile: Profile, run_seed: int,
               mistakes: Sequence[Mistake] = ()) -> dict[str, CheckResult]:
    """Run checks that draw from one strategy on one stream of its inputs: Hypothesis draws each input once, and
    the student's functions and the oracle are called once per input, whatever the number of checks that use the
    answer. A check that fails there is run again on its own, so that its failure shrinks as it would alone (see
    alone_or_as_seen), and so is one that graded too few of the stream's inputs to earn points, also where too many
    skipped inputs stopped it (its own stream draws other inputs, and past those it cannot use: on real students' code
    that alone run is what grades some dtype checks); one that stops with a timeout or a crash is settled where it
    stopped."""
    started = time.monotonic()
    results = {check.name: early for check in family if (early := not_runnable(check, ctx, loaded)) is not None}
    members = [Attempts(check, ctx, profile.shrink_examples, profile.min_graded) for check in family
               if check.name not in results]
    stop = family_stream(members, ctx, profile, run_seed) if members else None
    seconds = (time.monotonic() - started) / max(1, len(members))
    for member in members:
        ended = member.failure or member.stop or stop
        if member.failure is not None or (not isinstance(ended, STOPPED) and member.drawn_graded < member.needed):
            results[member.check.name] = alone_or_as_seen(member, ended, ctx, loaded, profile, run_seed, mistakes,
                                                          seconds)
        else:
            results[member.check.name] = settle(member, ended, mistakes, seconds)
    return results


STOPPED = (BudgetSpent, CheckAborted)  # a check stopped by these is settled where it stopped, never run again


class FamilyDone(BaseException):
    """Stops a family's Hypothesis run once every check in it has failed or stopped."""


@dataclass(frozen=True)
class Fixed:
    """A fixed example in a family's run, told apart from generated inputs: only the checks that list it try it."""

    case: Any


def family_stream(members: Sequence[Attempts], ctx: Context, profile: Profile,
                  run_seed: int) -> BaseException | None:
    """Try every member on the fixed examples it lists, then all on one stream of generated inputs; returns what
    stopped the stream (None: it ran to the end). A member's failure or stop is kept on it, and it tries no more.
    The stream itself never fails nor rejects an input, so it depends on the seed and the strategy only: the same
    inputs whatever the student's code does and whichever checks of the family run (``grader.check(f)`` runs f's)."""
    fixed = list({id(case): Fixed(case) for m in members for case in m.check.examples}.values())

    def one_input(case: Any) -> None:
        live = [m for m in members if m.failure is None and m.stop is None]
        if not live:
            raise FamilyDone
        if isinstance(case, Fixed):
            live, case = [m for m in live if any(case.case is e for e in m.check.examples)], case.case
        with ctx.sharing_answers():
            for member in live:
                member.try_input(case)

    try:
        with same_inputs_everywhere():
            hypothesis_test(members[0].check.strategy(run_seed), fixed, one_input, profile, run_seed)()
    except FamilyDone:
        return None
    except BudgetSpent as stop:
        return stop
    return None


def alone_or_as_seen(member: Attempts, ended: BaseException | None, ctx: Context, loaded: LoadReport,
                     profile: Profile, run_seed: int, mistakes: Sequence[Mistake], seconds: float) -> CheckResult:
    """A check that failed in its family, run alone so that its failure shrinks, keeping to the kind of failure the
    family saw (a wrong value stays a wrong value, not an exception that another input raises), or that graded too
    few inputs there, run alone so that it draws past the inputs it cannot use. If the alone run of a failed check
    (whose input stream skips differently) finds no such failure, or there is no time left for it, what the family
    saw stands, unshrunk (``ended``: what ended the check's part of the stream; ``seconds``: its share of the
    family's time)."""
    if not ctx.out_of_time():
        alone = run_check(member.check, ctx, loaded, profile, run_seed, mistakes, member.kind)
        if member.failure is None or alone.status not in (PASSED, NOT_GRADED):
            return alone
    member.activate()
    return settle(member, ended, mistakes, seconds)
