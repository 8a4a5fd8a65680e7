"""A class's submissions as the texts similarity compares: each one's code (a notebook's code cells joined), read
with the same discovery and loading as grading, so what is compared is what was graded."""

from __future__ import annotations

from pathlib import Path

from grader.batch.discover import discover
from grader.similarity.fingerprints import Code
from grader.submission import SubmissionError, load_submission


def class_code(assignment: str, submissions: Path, scratch: Path, kind: str = "current",
               prefix: str = "") -> tuple[list[Code], list[str]]:
    """Every readable submission's code (named ``prefix`` + its id), and a line for each one that could not be
    read."""
    found, unread = [], []
    for entry in discover(submissions, scratch):
        try:
            if entry.problem:
                raise SubmissionError(entry.problem)
            text = submission_text(entry.path, assignment)
        except SubmissionError as error:
            unread.append(f"{prefix}{entry.student_id}: {error}")
            continue
        found.append(Code(prefix + entry.student_id, text, kind))
    return found, unread


def submission_text(path: Path, assignment: str) -> str:
    """The code of a .py file, or a notebook's code cells joined (the cells grading skips left out)."""
    return "\n\n".join(cell.source for cell in load_submission(path, assignment).cells)
