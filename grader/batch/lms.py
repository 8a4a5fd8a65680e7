"""Grades where the course keeps them: a batch's gradebook.csv in the import format of Canvas or Moodle.

Canvas (Grades > Import, "How do I import grades in the Gradebook?"): the columns Student, ID, SIS User ID,
SIS Login ID and Section identify the student, each further column is an assignment (a new name creates one),
and an optional second row starting "Points Possible" gives each assignment's maximum; a blank score is left as
it is. The roster is the course's own gradebook export, whose rows carry those five columns. Moodle (Grades >
Import > CSV file): a header row, one column that identifies the user (matched to a user field on import: email
address, username or ID number) and one column per grade item.

A student id is matched to the roster's column ``match`` (by default the SIS Login ID, the id a student hands in
under); ids that match no roster row, and roster rows without a submission, are returned to be reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.batch.layout import FORMULA_STARTS, GRADEBOOK_NAME, spreadsheet_cell

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
FORMATS = ("canvas", "moodle")


@dataclass(frozen=True)
class Export:
    """The import file's text, and whom it could not place."""

    text: str
    unmatched_ids: list[str]  # graded ids no roster row has
    without_submission: list[str]  # roster rows (by the matched column) with no graded submission


class RosterError(ValueError):
    """A roster or gradebook that cannot be read as the format needs; the message says what to fix."""


def read_roster(path: Path, match: str, identity: tuple[str, ...]) -> list[dict[str, str]]:
    """The roster's student rows (the Points Possible row and rows without ``match`` dropped)."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    needed = [column for column in (*identity, match) if column not in (rows[0] if rows else {})]
    if needed:
        raise RosterError(f"{path} has no column {', '.join(repr(c) for c in dict.fromkeys(needed))}: export the "
                          "course's gradebook (Canvas: Grades > Export) and pass that file as --roster")
    first = identity[0] if identity else match
    return [row for row in rows if row[match].strip() and not row[first].strip().startswith(POINTS_POSSIBLE)]


def read_scores(out: Path) -> tuple[dict[str, str], str]:
    """Each graded id's total from a batch's gradebook.csv, and the assignment's maximum."""
    path = out / GRADEBOOK_NAME
    if not path.is_file():
        raise RosterError(f"{out} holds no {GRADEBOOK_NAME}: run `grader batch ... --out {out}` first")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    maxima = {row["max"] for row in rows if row["max"]}
    return {plain(row["id"]): row["total"] for row in rows}, max(maxima, key=float) if maxima else ""


def plain(cell: str) -> str:
    """A gradebook id without the apostrophe that keeps a spreadsheet from running it as a formula."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def export(out: Path, roster: Path, assignment: str, lms: str, match: str) -> Export:
    """The gradebook of batch folder ``out`` as an import file for ``lms``, rows in the roster's order."""
    scores, maximum = read_scores(out)
    identity = CANVAS_IDENTITY if lms == "canvas" else ()
    students = read_roster(roster, match, identity)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if lms == "canvas":
        writer.writerow([*CANVAS_IDENTITY, assignment])
        writer.writerow([POINTS_POSSIBLE, "", "", "", "", maximum])
        for row in students:
            writer.writerow([spreadsheet_cell(row[column]) for column in CANVAS_IDENTITY]
                            + [scores.get(row[match].strip(), "")])
    else:
        writer.writerow([match, assignment])
        for row in students:
            if row[match].strip() in scores:
                writer.writerow([spreadsheet_cell(row[match].strip()), scores[row[match].strip()]])
    known = {row[match].strip() for row in students}
    return Export(buffer.getvalue(), sorted(set(scores) - known), sorted(known - set(scores)))
