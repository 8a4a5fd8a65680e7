"""The repair search: for each function that failed a check, candidates from the error model, smallest first (one
rewrite, in the rules' order, then two, then three), each screened in the sandbox, until one passes every check of
the function and is verified on fresh inputs; within a time budget, and silent when nothing is found.

Combinations start from what the single rewrites showed: one that got further than the student's code is
extended first; rewrites of one kind go together (a mistake made at several places); the rest combine only
rewrites that changed what the function does on its checks' inputs, those that got furthest first.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from grader.repair.array_rules import RULES as ARRAY_RULES
from grader.repair.found import Change, Repair
from grader.repair.rewrites import Rewrite, combinable, rewrites, sites_of
from grader.repair.source import find_definition
from grader.repair.torch_rules import RULES as TORCH_RULES
from grader.repair.trial import Outcome, Trial
from grader.results import FAILED, CheckResult
from grader.settings import Settings
from grader.submission import Submission
from grader.suites.framework import Check, Suite

COMBINED_FROM = {2: 24, 3: 10}  # how many of the rewrites that changed something combine in pairs, and in threes
SAME_KIND = 8  # how many rewrites of one rule pair up with each other
FIRST_COMBINED = 6  # how many of the rewrites that changed most combine before the same-kind pairs
SLOWEST_CALL_FACTOR, SHORTEST_CALL_SECONDS = 3.0, 2.0
TRAINING_LOOP = ("train", "fit")  # each candidate is a training run: grader.repair.training


@dataclass(frozen=True)
class Search:
    """How one function's search went: the verified repair (None: none within the budget), candidates screened,
    its time, and candidates that passed the checks but failed on fresh inputs (never reported)."""

    function: str
    repair: Repair | None
    candidates: int
    seconds: float
    failed_fresh_inputs: int = 0
    repaired: Submission | None = None  # the submission with the repair spliced in


def repair_failures(suite: Suite, submission: Submission, results: Sequence[CheckResult], oracle: Any,
                    settings: Settings, deadline: float) -> list[Repair]:
    """A verified repair for each function that failed a check, where one is found in time."""
    found = []
    for function in failed_functions(suite, results):
        budget = min(settings.repair_seconds, deadline - time.monotonic())
        if budget <= 0:
            break
        repair = search(suite, submission, function, results, oracle, settings, budget).repair
        if repair is not None:
            found.append(repair)
    return found


def failed_functions(suite: Suite, results: Sequence[CheckResult]) -> list[str]:
    """The suite's functions that failed a check (timeouts, crashes and checks not graded are not searched)."""
    failed = {name for result in results if result.status == FAILED for name in result.functions}
    return [name for name in suite.functions if name in failed]


def search(suite: Suite, submission: Submission, function: str, results: Sequence[CheckResult], oracle: Any,
           settings: Settings, budget: float) -> Search:
    """Search repairs of ``function`` for ``budget`` seconds."""
    started = time.monotonic()
    definition = find_definition(submission, function)
    if definition is None:
        return Search(function, None, 0, 0.0)
    proposed = rewrites(definition, TORCH_RULES if "torch" in suite.policy.preload else ARRAY_RULES)
    failed, others = checks_of(suite, function, results)
    deadline = started + budget
    with trial_kind(suite, function)(suite, definition, failed, others, oracle, settings, call_limit(function, results),
                                     deadline) as trial:
        baseline = trial.screen(())
        rejected = 0
        for chosen in candidates(proposed, trial, baseline, deadline):
            if time.monotonic() >= deadline:
                break
            if not trial.accept(sites_of(chosen)):
                continue
            seed = trial.verify(suite, sites_of(chosen), results)
            if seed is None:
                rejected += time.monotonic() < deadline  # not when the time ran out while verifying
                continue
            seconds = time.monotonic() - started
            repair = Repair(function, changes(chosen), definition.diff(sites_of(chosen)), trial.tried, seconds, seed)
            return Search(function, repair, trial.tried, seconds, rejected, definition.changed_submission(sites_of(chosen)))
    return Search(function, None, trial.tried, time.monotonic() - started, rejected)


def trial_kind(suite: Suite, function: str) -> type[Trial]:
    """How candidates of ``function`` are graded: with its checks, or, for a training loop (train's fit), screened
    on a slice of the data and verified with a plan of their own (``grader.repair.training``)."""
    if (suite.assignment, function) != TRAINING_LOOP:
        return Trial
    from grader.repair import training  # here: it loads the train suite (torch, MNIST), for a training loop only

    return training.FitTrial


def candidates(proposed: Sequence[Rewrite], trial: Trial, baseline: Outcome,
               deadline: float) -> Iterator[tuple[Rewrite, ...]]:
    """The candidates that pass the screen, smallest first: each rewrite alone in rank order; then, for two and for
    three rewrites, a candidate one smaller that got further than the student's code (more checks, or more inputs of
    the failing check) extended by each other rewrite; combinations of the few rewrites that changed the outcome
    and got furthest (a mistake repeated at several places first); for two, rewrites of the same kind together;
    then combinations of more of the rewrites that changed the outcome."""
    if baseline.passed:
        return  # the failure did not show again: nothing to repair reliably
    tried: set[frozenset[int]] = set()
    steps: dict[int, list[tuple[Outcome, tuple[Rewrite, ...]]]] = {1: [], 2: []}
    changed: list[tuple[Outcome, Rewrite]] = []
    for rewrite in proposed:
        if time.monotonic() >= deadline:
            return
        outcome = screen(trial, (rewrite,), tried)
        if outcome.passed:
            yield (rewrite,)
        if outcome != baseline:
            changed.append((outcome, rewrite))
        if outcome.progress > baseline.progress:
            steps[1].append((outcome, (rewrite,)))
    pool = [rewrite for _, rewrite in sorted(changed, key=lambda pair: (-pair[0].checks_passed, -pair[0].inputs_passed,
                                                                        len(pair[1].sites) == 1, pair[1].rank))]
    for size, most in COMBINED_FROM.items():
        first = itertools.combinations(pool[:FIRST_COMBINED], size)
        alike = same_kind(proposed) if size == 2 else ()
        for chosen in itertools.chain(extended(steps[size - 1], proposed), first, alike,
                                      itertools.combinations(pool[:most], size)):
            if time.monotonic() >= deadline:
                return
            if not combinable(chosen) or frozenset(map(id, chosen)) in tried:
                continue
            outcome = screen(trial, chosen, tried)
            if outcome.passed:
                yield chosen
            if size < 3 and outcome.progress > baseline.progress:
                steps[size].append((outcome, chosen))


def screen(trial: Trial, chosen: tuple[Rewrite, ...], tried: set[frozenset[int]]) -> Outcome:
    tried.add(frozenset(map(id, chosen)))
    return trial.screen(sites_of(chosen))


def same_kind(proposed: Sequence[Rewrite]) -> Iterator[tuple[Rewrite, ...]]:
    """Pairs of rewrites of one rule (its first few), in rank order."""
    by_rule: dict[str, list[Rewrite]] = {}
    for rewrite in proposed:
        by_rule.setdefault(rewrite.rule, []).append(rewrite)
    for group in by_rule.values():
        yield from itertools.combinations(group[:SAME_KIND], 2)


def extended(steps: Sequence[tuple[Outcome, tuple[Rewrite, ...]]],
             proposed: Sequence[Rewrite]) -> Iterator[tuple[Rewrite, ...]]:
    """Each stepping stone (furthest first) with one more rewrite, in rank order."""
    for _, chosen in sorted(steps, key=lambda step: (-step[0].checks_passed, -step[0].inputs_passed)):
        for rewrite in proposed:
            if rewrite not in chosen:
                yield chosen + (rewrite,)


def checks_of(suite: Suite, function: str, results: Sequence[CheckResult]) -> tuple[list[Check], list[Check]]:
    """The function's checks it failed (quickest first: the screen's order), and its other checks."""
    outcome = {result.name: result for result in results}
    mine = [check for check in suite.checks if function in check.functions and check.name in outcome]
    failed = sorted((c for c in mine if outcome[c.name].status == FAILED), key=lambda c: outcome[c.name].seconds)
    return failed, [c for c in mine if c not in failed]


def call_limit(function: str, results: Sequence[CheckResult]) -> float:
    """A candidate's time limit per call: a few times the longest check of the function took on the student's
    code (a rewrite that makes a loop run for ever costs seconds, not the sandbox's full limit)."""
    slowest = max((r.seconds for r in results if function in r.functions), default=0.0)
    return max(SHORTEST_CALL_SECONDS, SLOWEST_CALL_FACTOR * slowest)


def changes(chosen: Sequence[Rewrite]) -> tuple[Change, ...]:
    return tuple(Change(rewrite.rule, rewrite.where, rewrite.says) for rewrite in chosen)
