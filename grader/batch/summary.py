"""`OUT/summary.html`: the class at a glance, from the records and each student's results.json.

Counts by status (grader.status: passed, failed, timed out, did not load, ...), every student with their score,
status (with its detail where it helps: "timed out in conv_forward") and a link to their report (a table that sorts
by any column); then, of the submissions whose checks ran, a score histogram, each check's pass rate, the most
common diagnoses (counted per student), the functions repaired by each rewrite (the
mistakes the class made, with links to the instructor's view of each report), the slowest submissions and every
problem. Rendered with jinja2 autoescaping, so nothing from a submission becomes markup.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.batch.gradebook import report_link
from grader.batch.job import INSTRUCTOR_NAME
from grader.batch.layout import RESULTS_NAME, SUMMARY_NAME, student_folder
from grader.batch.records import Record
from grader.files import write_atomic
from grader.status import SUBMISSION_ONLY, Status

# What the summary lists under Problems: a submission that stopped before its checks could say all they would.
PROBLEMS = (Status.TIMED_OUT, Status.CRASHED, Status.DID_NOT_LOAD, Status.GRADER_ERROR)

BINS = 10
TOP = 10


@dataclass(frozen=True)
class Bar:
    """One histogram bin: its label, how many students, and its width as a percentage of the tallest."""

    label: str
    count: int
    width: float


@dataclass(frozen=True)
class CheckRate:
    """How many graded students passed one check."""

    name: str
    passed: int
    graded: int

    @property
    def percent(self) -> float:
        return 100 * self.passed / self.graded if self.graded else 0.0


def write_summary(out: Path, assignment: str, records: list[Record]) -> None:
    """Render `OUT/summary.html` with the report templates' autoescaping environment."""
    from grader.reports.html import environment

    page = environment().get_template("summary.html.j2").render(view=summary_view(out, assignment, records))
    write_atomic(out / SUMMARY_NAME, page)


@dataclass(frozen=True)
class StudentRow:
    """One student in the summary's table: score, what happened, and the link to their report."""

    record: Record
    report: str  # relative to summary.html; '' when there is none

    @property
    def problem(self) -> bool:
        """Whether the summary lists this student under Problems (its status cell is marked)."""
        return self.record.status in PROBLEMS


def summary_view(out: Path, assignment: str, records: list[Record]) -> dict[str, Any]:
    """Everything the summary template shows, computed here so the template only lays it out."""
    graded = [r for r in records if r.status not in SUBMISSION_ONLY]  # their checks ran
    tests = {r.student_id: results_tests(out, r.student_id) for r in graded}
    diagnoses = Counter(sentence for student in tests.values() for sentence in
                        {t["extra_data"]["diagnosis"] for t in student if t.get("extra_data", {}).get("diagnosis")})
    statuses = Counter(r.status for r in records)
    return {
        "assignment": assignment,
        "statuses": [(statuses[status], status) for status in Status if statuses[status]],
        "total": len(records),
        "students": [StudentRow(r, report_link(out, r)) for r in sorted(records, key=lambda r: r.student_id)],
        "histogram": histogram(graded),
        "checks": check_rates([test for student in tests.values() for test in student]),
        "diagnoses": diagnoses.most_common(TOP),
        "repairs": repairs_by_rewrite(out, graded),
        "slowest": sorted(records, key=lambda r: -r.seconds)[:TOP],
        "problems": [r for r in records if r.status in PROBLEMS],
    }


def student_results(out: Path, student_id: str) -> dict[str, Any]:
    """A student's results.json, or {} when it is missing or unreadable."""
    try:
        results = json.loads((student_folder(out, student_id) / RESULTS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return results if isinstance(results, dict) else {}


def results_tests(out: Path, student_id: str) -> list[dict[str, Any]]:
    """The tests[] of a student's results.json, or [] when it is missing or unreadable."""
    tests = student_results(out, student_id).get("tests", [])
    return [t for t in tests if isinstance(t, dict)] if isinstance(tests, list) else []


@dataclass(frozen=True)
class RepairCount:
    """How many functions of the class a rewrite repaired, and whose (each id with its instructor's report)."""

    rule: str
    functions: int
    students: list[tuple[str, str]]


def repairs_by_rewrite(out: Path, graded: list[Record]) -> list[RepairCount]:
    """The verified repairs of the class counted by rewrite, commonest first: which mistakes the class made."""
    functions: Counter[str] = Counter()
    students: dict[str, dict[str, str]] = {}
    for record in graded:
        extra = student_results(out, record.student_id).get("extra_data", {})
        repairs = extra.get("repairs", []) if isinstance(extra, dict) else []
        for repair in repairs if isinstance(repairs, list) else []:
            changes = repair.get("changes", []) if isinstance(repair, dict) else []
            for rule in {str(c.get("rule", "")) for c in changes if isinstance(c, dict)} - {""}:
                functions[rule] += 1
                link = (student_folder(out, record.student_id) / INSTRUCTOR_NAME).relative_to(out).as_posix()
                students.setdefault(rule, {})[record.student_id] = link
    return [RepairCount(rule, count, sorted(students[rule].items())) for rule, count in functions.most_common()]


def histogram(graded: list[Record]) -> list[Bar]:
    """Students per tenth of the maximum score (the last bin holds the full marks)."""
    counts = [0] * BINS
    for record in graded:
        fraction = record.score / record.max_score if record.max_score else 0.0
        counts[min(int(fraction * BINS), BINS - 1)] += 1
    tallest = max(counts) or 1
    step = 100 // BINS
    return [Bar(f"{i * step}\u2013{(i + 1) * step} %", n, 100 * n / tallest) for i, n in enumerate(counts)]


def check_rates(tests: list[dict[str, Any]]) -> list[CheckRate]:
    """Per check (in first-seen order): how many graded students passed it; not-gradable runs do not count."""
    passed: Counter[str] = Counter()
    graded: Counter[str] = Counter()
    for test in tests:
        extra = test.get("extra_data", {})
        if extra.get("status") != Status.NOT_GRADABLE:
            graded[extra.get("check", test.get("name", "?"))] += 1
            passed[extra.get("check", test.get("name", "?"))] += extra.get("status") == Status.PASSED
    return [CheckRate(name, passed[name], count) for name, count in graded.items()]
