"""`OUT/gradebook.csv`: one row per student, sorted by id, written only from the records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.batch.layout import GRADEBOOK_NAME, spreadsheet_cell, student_folder
from grader.batch.records import GRADER_ERROR, Record
from grader.files import write_atomic


def write_gradebook(out: Path, checks: list[str], records: list[Record]) -> None:
    """id, total, max, status (grader.status), what happened (the status and its detail: "timed out in
    conv_forward"), the report's path, then one column per check; a grader error has blank scores, never a silent 0.
    Text cells are written so that a spreadsheet never runs them as formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["id", "total", "max", "status", "what happened", "report", *checks]
    writer.writerow([spreadsheet_cell(name) for name in header])
    for record in sorted(records, key=lambda r: r.student_id):
        scores = [number(record.checks.get(name)) for name in checks]
        report = report_link(out, record)
        writer.writerow([spreadsheet_cell(record.student_id), number(record.score), number(record.max_score),
                         spreadsheet_cell(record.status), spreadsheet_cell(record.what_happened),
                         spreadsheet_cell(report), *scores])
    write_atomic(out / GRADEBOOK_NAME, buffer.getvalue())


def report_link(out: Path, record: Record) -> str:
    """The student's report.html relative to the output folder, or '' when a grader error left none."""
    if record.status == GRADER_ERROR:
        return ""
    return (student_folder(out, record.student_id) / "report.html").relative_to(out).as_posix()


def number(value: float | None) -> str:
    """A score as the shortest exact text, or '' when there is none."""
    return "" if value is None else f"{value:g}"
