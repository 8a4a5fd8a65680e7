"""A repair is reported only once verified: the student's submission with the change spliced in, loaded in a
fresh sandbox, passes every check of the function on inputs the search never saw (another seed), and every check
that passed before of the functions that call it (a repaired ``zero_pad`` must not break ``conv_forward``)."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import time
from typing import Any, Sequence

from grader.repair.source import Definition, Site, find_definition
from grader.results import NOT_GRADABLE, PASSED, CheckResult
from grader.runner import run_checks
from grader.sandbox.process import Sandbox
from grader.settings import Profile, Settings
from grader.suites.framework import Check, Context, Suite


def fresh_seed(seed: int) -> int:
    """Another seed than the grade's, the same for every run of the same grade."""
    return int.from_bytes(hashlib.sha256(f"repair {seed}".encode()).digest()[:4], "big")


def verified(suite: Suite, definition: Definition, sites: Sequence[Site], results: Sequence[CheckResult],
             oracle: Any, settings: Settings, deadline: float) -> int | None:
    """The fresh seed on which the repaired submission passes the checks above (a check that cannot run on this
    machine aside); None if one fails (or the time runs out)."""
    seed = fresh_seed(settings.seed_in_force)
    checks = checks_to_verify(suite, definition, results)
    with Sandbox(definition.changed_submission(sites), suite.policy) as sandbox:
        loaded = sandbox.load()
        context = Context(sandbox, oracle, dataclasses.replace(settings, seed=seed),
                          budget_seconds=deadline - time.monotonic(), probed=bool(suite.policy.probe_modules))
        outcome = run_checks(checks, context, loaded, verification_profile(settings, seed), seed)
    return seed if all_passed(outcome) else None


def verification_profile(settings: Settings, seed: int) -> Profile:
    """The grade's profile (as many inputs), drawn from ``seed``, without shrinking."""
    graded = settings.chosen
    return Profile("verify", graded.max_examples, seed, shrink_examples=0, min_graded=graded.min_graded,
                   budget_seconds=graded.budget_seconds)


def all_passed(results: Sequence[CheckResult]) -> bool:
    """Whether every check passed, those that cannot run on this machine (the GPU check) aside."""
    return all(result.status in (PASSED, NOT_GRADABLE) for result in results)


def checks_to_verify(suite: Suite, definition: Definition, results: Sequence[CheckResult]) -> list[Check]:
    """The function's checks, and the checks that passed of the functions whose code calls it."""
    passed = {result.name for result in results if result.passed}
    callers = {name for name in suite.functions if name != definition.name and
               definition.name in names_used(find_definition(definition.submission, name))}
    return [check for check in suite.checks if definition.name in check.functions or
            (set(check.functions) & callers and check.name in passed)]


def names_used(definition: Definition | None) -> set[str]:
    if definition is None:
        return set()
    return {node.id for node in ast.walk(definition.node) if isinstance(node, ast.Name)}
