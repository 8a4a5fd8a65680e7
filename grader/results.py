"""The outcome of grading one submission: each check's status, points and evidence (the reports show it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.evidence import Evidence, as_json
from grader.repair.found import Repair

PASSED, FAILED, TIMED_OUT, CRASHED, NOT_GRADABLE = "passed", "failed", "timed out", "crashed", "not gradable here"
# A check that could not grade the student's function because code it relies on (their own forward) failed on every
# input: it earns nothing, but it is not a failure of the function it grades.
NOT_GRADED = "not graded"


@dataclass
class CheckResult:
    """One check's verdict, with the evidence a student needs to fix a failure."""

    name: str
    title: str
    functions: tuple[str, ...]
    max_score: float
    score: float
    status: str
    message: str = ""
    counterexample: dict[str, Any] | None = None
    evidence: list[Evidence] = field(default_factory=list)
    output: str = ""
    examples_run: int = 0
    seconds: float = 0.0
    visibility: str = "visible"
    notes: list[str] = field(default_factory=list)
    diagnosis: str = ""
    inputs: str = ""  # digest of the inputs the check was given: equal digests, equal inputs
    stopped_in: str = ""  # the student function that hung or crashed and stopped this check

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def details(self) -> dict[str, Any]:
        """The evidence as results.json's ``details`` mapping."""
        return as_json(self.evidence)


@dataclass
class GradeReport:
    """Every check's result for one submission, and how it was graded."""

    assignment: str
    submission: str
    profile: str
    seed: int
    oracle: str
    sandbox: str
    results: list[CheckResult]
    load_messages: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load_output: str = ""  # what the code printed while it loaded (a notebook's own worked examples), capped
    load_failure: str = ""  # why the code did not load at all (a syntax error, an import that failed), or ""
    hints: str = "off"  # what the student's view shows of the repairs: off, line, diff or full (grader.repair.hints)
    repairs: list[Repair] = field(default_factory=list)  # verified repairs of failed functions; never change a score

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def all_passed(self) -> bool:
        return all(r.passed or r.status == NOT_GRADABLE for r in self.results)
