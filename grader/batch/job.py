"""The grading job: grade one entry in a worker, write its feedback files, then its record (always last)."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.discover import Entry
from grader.batch.layout import RESULTS_NAME, printable, student_folder
from grader.batch.records import GRADER_ERROR, Record, write_record
from grader.checking import unrun
from grader.files import write_atomic, write_json
from grader.reports.view import summary
from grader.results import GradeReport
from grader.runner import grade_submission
from grader.settings import Settings
from grader.submission import SubmissionError, load_submission
from grader.suites import course_folders, course_in_environment, get_suite

INSTRUCTOR_NAME = "instructor.html"  # the report with every repair in full, written when a repair was found


@dataclass(frozen=True)
class GradeJob:
    """Everything a worker needs to grade one entry; picklable, so any executor can ship it."""

    assignment: str
    entry: Entry
    out: Path
    key: str
    settings: Settings
    courses: tuple[Path, ...] = field(default_factory=lambda: tuple(course_folders()))  # where outside suites are

    def __call__(self) -> Record:
        """Grade, write results.json and the reports, then the record; a grader fault becomes a grader error."""
        started = time.monotonic()
        try:
            with course_in_environment(*self.courses):  # a worker started before the course was named lacks it
                report, ran, message = self.grade()
                write_feedback(student_folder(self.out, self.entry.student_id), report)  # reads the suite too
            record = Record(self.entry.student_id, self.key, report.status, round(report.score, 4),
                            round(report.max_score, 4), {r.name: r.score for r in report.results}, message,
                            sandbox=report.sandbox if ran else "",  # what never ran had no level
                            detail=report.detail)
        except Exception:  # a fault of the grader itself, never the student's: recorded, not scored
            record = Record(self.entry.student_id, self.key, GRADER_ERROR, message=traceback.format_exc())
        record.seconds = round(time.monotonic() - started, 3)
        write_record(self.out, record)
        return record

    def grade(self) -> tuple[GradeReport, bool, str]:
        """The report, whether the code ran in a sandbox (a submission that could not be read never did), and the
        record's message."""
        problem = self.entry.problem
        if problem is None:
            try:
                submission = load_submission(self.entry.path, self.assignment)
            except SubmissionError as error:
                problem = str(error)
            else:
                report = grade_submission(self.assignment, submission, self.settings)
                report.submission = as_handed_in(self.entry, submission.path)
                return report, True, summary(report)
        return problem_report(self.assignment, self.entry, problem, self.settings), False, problem


def as_handed_in(entry: Entry, graded: Path) -> str:
    """The submission as the student handed it in, never the temporary folder it was unpacked or gathered into (gone
    once the batch ends): the zip, or the file of an LMS download, it came from, and the file graded."""
    if not entry.sources or entry.path in entry.sources or not graded.is_relative_to(entry.path):
        return printable(str(graded))
    handed_in = next((source for source in entry.sources if source.name.endswith(graded.name)), entry.sources[0])
    return printable(f"{handed_in} ({graded.relative_to(entry.path).as_posix()})")


def problem_report(assignment: str, entry: Entry, problem: str, settings: Settings) -> GradeReport:
    """A report for a submission that could not be read (it did not load): every check failed with the reason, so
    the student still gets a results.json and reports that say why."""
    checks = [unrun(check, problem) for check in get_suite(assignment).checks]
    return GradeReport(assignment, printable(entry.path.name), settings.chosen.name, settings.seed_in_force, "",
                       "not started", checks, [problem], load_failure=problem)


def write_feedback(folder: Path, report: GradeReport) -> None:
    """The student's results.json (Gradescope), report.html and report.md; and the instructor's view of the
    report when a function was repaired."""
    from grader.reports.html import render_html
    from grader.reports.markdown import render_markdown
    from grader.reports.results_json import results_json

    write_json(folder / RESULTS_NAME, results_json(report))
    write_atomic(folder / "report.html", render_html(report))
    write_atomic(folder / "report.md", render_markdown(report))
    if report.repairs:
        write_atomic(folder / INSTRUCTOR_NAME, render_html(report, instructor=True))
