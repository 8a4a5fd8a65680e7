"""One candidate graded in the sandbox, never in the grader's process (a candidate is student code), with the
function's own checks: first the checks the student's code failed, quickest first, on their fixed examples and a
few generated inputs, each stopping at its first failing input (``screen``); a candidate that passes them is
graded on every check of the function as the runner grades it, on the graded inputs (``accept``).

All candidates of one function run in one child: the submission is loaded once, and each candidate's definition
is run after it, replacing the last one (``Sandbox.run_more``); a candidate that hangs or crashes costs a new
child, which loads the submission with that candidate.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Sequence

from grader.checking import run_check
from grader.repair.source import Definition, Site
from grader.repair.verify import verified
from grader.results import PASSED, CheckResult
from grader.runner import run_checks
from grader.sandbox.process import LoadReport, Sandbox
from grader.settings import Profile, Settings
from grader.suites.framework import Check, Context, Suite


SCREEN_EXAMPLES = 5  # generated inputs a screen tries after the fixed examples: most wrong candidates fail there


@dataclass(frozen=True)
class Outcome:
    """What the screen saw: whether every check passed, else the first check that failed, how many inputs it
    passed before, and its message (two candidates that fail alike most likely compute alike)."""

    passed: bool
    checks_passed: int = 0
    failed_check: str = ""
    inputs_passed: int = 0
    message: str = ""

    @property
    def progress(self) -> tuple[int, int]:
        """How far the candidate got: checks passed, then inputs of the first failing check."""
        return self.checks_passed, self.inputs_passed


class Trial:
    """Grades versions of one function in one sandbox child."""

    def __init__(self, suite: Suite, definition: Definition, failed: Sequence[Check], others: Sequence[Check],
                 oracle: Any, settings: Settings, call_seconds: float, deadline: float) -> None:
        self.definition, self.failed, self.others = definition, list(failed), list(others)
        self.oracle, self.settings, self.deadline = oracle, settings, deadline
        graded = settings.chosen
        self.screening = Profile("screen", min(SCREEN_EXAMPLES, graded.max_examples), graded.seed, shrink_examples=0,
                                 min_graded=graded.min_graded, budget_seconds=graded.budget_seconds)
        self.profile = dataclasses.replace(self.screening, name="repair", max_examples=graded.max_examples)
        limits = dataclasses.replace(suite.policy.limits, call_seconds=min(call_seconds,
                                                                          suite.policy.limits.call_seconds))
        self.policy = dataclasses.replace(suite.policy, limits=limits)
        self.sandbox: Sandbox | None = None
        self.loaded: LoadReport | None = None
        self.tried = 0  # candidates screened

    def __enter__(self) -> "Trial":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sandbox is not None:
            self.sandbox.close()

    def screen(self, sites: Sequence[Site]) -> Outcome:
        """Grade the function rewritten at ``sites`` with each check it failed, stopping at the first that fails."""
        self.tried += 1
        context = self.run(sites)
        for passed, check in enumerate(self.failed):
            result = run_check(check, context, self.loaded, self.screening, self.settings.seed_in_force)
            if result.status != PASSED:
                return Outcome(False, passed, check.name, max(0, result.examples_run - 1), result.message)
        return Outcome(True, len(self.failed))

    def accept(self, sites: Sequence[Site]) -> bool:
        """Whether the function rewritten at ``sites`` passes every check of the function as the runner grades."""
        results: list[CheckResult] = run_checks(self.failed + self.others, self.run(sites), self.loaded, self.profile,
                                                self.settings.seed_in_force)
        return all(r.status == PASSED for r in results)

    def verify(self, suite: Suite, sites: Sequence[Site], results: Sequence[CheckResult]) -> int | None:
        """The fresh seed on which the submission with the change spliced in passes in a fresh child (None: it
        does not): ``grader.repair.verify``."""
        return verified(suite, self.definition, sites, results, self.oracle, self.settings, self.deadline)

    def run(self, sites: Sequence[Site], settings: Settings | None = None) -> Context:
        """Put the rewritten function in the child (starting it on first use); a context to grade it with (with
        the trial's settings, or ``settings``)."""
        cell = self.definition.candidate_cell(sites)
        if self.sandbox is None:
            self.sandbox = Sandbox(self.definition.submission, self.policy)
            self.loaded = self.sandbox.load()
        submission = self.definition.submission
        self.sandbox.run_more(dataclasses.replace(submission, cells=submission.cells + (cell,)), (cell,))
        return Context(self.sandbox, self.oracle, settings or self.settings,
                       budget_seconds=self.deadline - time.monotonic(), probed=bool(self.policy.probe_modules))
