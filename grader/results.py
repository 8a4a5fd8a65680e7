"""The outcome of grading one submission: each check's status, points and evidence (the reports show it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.evidence import Evidence, as_json
from grader.repair.found import Repair
from grader.status import Status, combined, in_words, submission_status

# The statuses a check ends in, by the short names the grader uses (grader.status defines them and what they mean).
PASSED, FAILED, TIMED_OUT, CRASHED = Status.PASSED, Status.FAILED, Status.TIMED_OUT, Status.CRASHED
NOT_GRADED, NOT_GRADABLE = Status.NOT_GRADED, Status.NOT_GRADABLE


@dataclass
class CheckResult:
    """One check's verdict, with the evidence a student needs to fix a failure."""

    name: str
    title: str
    functions: tuple[str, ...]
    max_score: float
    score: float
    status: Status
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

    def __post_init__(self) -> None:
        """A status given as its word becomes the Status; a word outside the vocabulary is a ValueError."""
        self.status = Status(self.status)

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

    @property
    def function_statuses(self) -> dict[str, Status]:
        """Each graded function's status, derived from the statuses of the checks that exercise it, in the order the
        checks first name them."""
        checks: dict[str, list[Status]] = {}
        for result in self.results:
            for function in result.functions:
                checks.setdefault(function, []).append(result.status)
        return {function: combined(statuses) for function, statuses in checks.items()}

    @property
    def status(self) -> Status:
        """The submission's status: did not load, else its functions' (and any check naming no function) combined."""
        unnamed = [r.status for r in self.results if not r.functions]
        return submission_status(not self.load_failure, [*self.function_statuses.values(), *unnamed])

    @property
    def detail(self) -> str:
        """What follows the status word where it helps: where it timed out or crashed ("in conv_forward"), or that
        the submission used up its time budget; '' otherwise."""
        status = self.status
        if status not in (TIMED_OUT, CRASHED):
            return ""
        stopped = next(r.stopped_in for r in self.results if r.status == status)
        return f"in {stopped}" if stopped else "after using up its time budget"

    @property
    def what_happened(self) -> str:
        """The status word and its detail: "failed", "timed out in conv_forward"."""
        return in_words(self.status, self.detail)
