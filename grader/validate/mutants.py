"""The catalogue of classic mistakes is the grader's mutation test. Each mistake, built from the oracle, is graded
in this process like a submission, with the students' quick profile: it must fail a check, and a failing check
must name it. A suite module whose mistakes are not oracles with one function wrong (a network's are variants of it)
lists them itself with ``mutants()``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from grader.results import NOT_GRADABLE, CheckResult, GradeReport
from grader.runner import run_checks
from grader.sandbox.in_process import InProcess, load_probes
from grader.settings import PROFILES
from grader.suites import get_suite, suite_module
from grader.suites.framework import Context, MistakenOracle
from grader.validate.findings import FAIL, OK, SKIP, Finding
from grader.validate.run import Run

PROPERTY = "mutants"


@dataclass(frozen=True)
class Mutant:
    """A classic mistake as a submission: the student API it computes, and what the feedback calls it."""

    name: str
    student: Mapping[str, Callable[..., Any]]
    sentence: str
    functions: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """How the suite graded one mutant."""

    mutant: Mutant
    report: GradeReport

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.report.results if not r.passed and r.status != NOT_GRADABLE]

    @property
    def caught(self) -> bool:
        return bool(self.failed)

    @property
    def named(self) -> bool:
        """Whether a failing check names the mistake: its diagnosis (or, for a suite's own mutants, its message)
        says so."""
        return any(self.mutant.sentence in r.diagnosis or self.mutant.sentence in r.message for r in self.failed)


def catalogue(assignment: str, oracle: Any) -> list[Mutant]:
    """The assignment's mistakes as mutants computed by ``oracle`` (or listed by the suite module's own
    ``mutants()``); LookupError when a suite has mistakes but no ``as_student`` to turn them into submissions."""
    module = suite_module(assignment)
    if hasattr(module, "mutants"):
        return [Mutant(*entry) for entry in module.mutants()]
    mistakes = get_suite(assignment).mistakes
    as_student = getattr(module, "as_student", None)
    if as_student is None and mistakes:
        raise LookupError(f"{module.__file__} has {len(mistakes)} mistakes but no as_student(oracle): "
                          "define it (the student API computed by an oracle) so that each mistake can be graded")
    return [Mutant(m.name, as_student(MistakenOracle(oracle, m)), m.sentence, m.functions) for m in mistakes]


def grade_in_process(assignment: str, student: Mapping[str, Callable[..., Any]], oracle: Any,
                     label: str = "in-process submission") -> GradeReport:
    """Grade trusted functions (an oracle's, a mutant's) with the suite's real checks, quick profile, in this
    process: never use this for student code."""
    suite, profile = get_suite(assignment), PROFILES["quick"]
    sandbox = InProcess(student, load_probes(suite.policy.probe_modules))
    context, loaded, started = Context(sandbox, oracle), sandbox.load(), time.monotonic()
    results = run_checks(suite.checks, context, loaded, profile, profile.seed, suite.mistakes)
    report = GradeReport(assignment, label, profile.name, profile.seed, oracle.name, sandbox.level, results)
    report.seconds = time.monotonic() - started
    return report


def grade_mutant(assignment: str, mutant: Mutant, oracle: Any) -> Outcome:
    """Grade one mutant in-process against the correct ``oracle``."""
    return Outcome(mutant, grade_in_process(assignment, mutant.student, oracle, f"mutant: {mutant.name}"))


def check(assignment: str, run: Run) -> Finding:
    """Every mutant of the catalogue fails a check that names it; the line gives the mutation score."""
    try:
        mutants = catalogue(assignment, run.oracle(assignment))
    except LookupError as error:
        return Finding(assignment, PROPERTY, FAIL, str(error))
    if not mutants:
        return Finding(assignment, PROPERTY, SKIP, f"the {assignment} suite has no catalogue of mistakes")
    outcomes = [grade_mutant(assignment, mutant, run.oracle(assignment)) for mutant in mutants]
    for outcome in outcomes:
        run.keep(assignment, outcome.report)
    escaped = [repr(o.mutant.name) for o in outcomes if not o.caught]
    unnamed = [repr(o.mutant.name) for o in outcomes if o.caught and not o.named]
    score = f"{len(outcomes) - len(escaped)}/{len(outcomes)} mutants caught"
    if escaped:
        return Finding(assignment, PROPERTY, FAIL, f"{score}; {', '.join(escaped)} passed every check: add a check, "
                                                   "or a fixed example, on which the mistake gives another result "
                                                   "(or, if the reference makes the same mistake, fix the reference)")
    if unnamed:
        return Finding(assignment, PROPERTY, FAIL, f"{score}, but no failing check names {', '.join(unnamed)}: make "
                                                   "the mistake's patch compute exactly what the mistaken code returns")
    return Finding(assignment, PROPERTY, OK, f"{score}, each named by the feedback")
