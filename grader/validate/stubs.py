"""The untouched stub scores 0: every check fails on it, so every check can fail."""

from __future__ import annotations

from grader.results import NOT_GRADABLE
from grader.runner import grade
from grader.validate.findings import FAIL, OK, Finding, first_line
from grader.validate.run import Run

PROPERTY = "stubs"


def check(assignment: str, run: Run) -> Finding:
    """Grade assignments/<assignment>/<assignment>.py as released (the notebook holds the same code: see sync)."""
    relative = f"assignments/{assignment}/{assignment}.py"
    path = run.root / relative
    if not path.is_file():
        return Finding(assignment, PROPERTY, FAIL, f"{relative} is missing: run `grader release`")
    report = run.keep(assignment, grade(assignment, path, run.settings("quick")))
    graded = [r for r in report.results if r.status != NOT_GRADABLE]
    passing = [r.name for r in graded if r.passed]
    if report.load_messages:
        return Finding(assignment, PROPERTY, FAIL, f"{relative} does not load cleanly: "
                                                   f"{first_line(report.load_messages[0])}")
    if passing or report.score > 0:
        return Finding(assignment, PROPERTY, FAIL, f"{relative} scores {report.score:g}/{report.max_score:g} "
                       f"untouched: {', '.join(passing)} pass{'es' if len(passing) == 1 else ''} on a stub that "
                       "implements nothing, so a wrong solution can pass too; make each check call a student "
                       "function and compare what it returns")
    if not graded:
        return Finding(assignment, PROPERTY, FAIL, f"no check of the {assignment} suite could run on {relative}")
    return Finding(assignment, PROPERTY, OK, f"{relative} scores 0/{report.max_score:g}: all {len(graded)} "
                                             "checks fail on it")
