"""Grades where the course keeps them: a batch's gradebook.csv in the import format of Canvas or Moodle.

Canvas (Grades > Import, "How do I import grades in the Gradebook?"): the columns Student, ID, SIS User ID,
SIS Login ID and Section identify the student, each further column is an assignment, and an optional second row
starting "Points Possible" gives each assignment's maximum; a blank score is left as it is. A column named as an
existing assignment fills it: Canvas's gradebook export heads it with the assignment's id, "Convolution (HW 1)
(88231)", so the column reuses the roster's header for the assignment `--name` names; any other name creates a new
assignment. The roster is the course's own gradebook export, whose rows carry those five columns. Moodle (Grades >
Import > CSV file): a header row, one column that identifies the user (matched to a user field on import: email
address, username or ID number) and one column per grade item.

Graded ids are matched to roster rows as `roster` says (ids, case and spacing aside, and the keys of a Canvas or
Moodle download); ids no row takes, and rows without a submission, are returned to be reported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.layout import FORMULA_STARTS, GRADEBOOK_NAME, spreadsheet_cell
from grader.batch.roster import POINTS_POSSIBLE, Roster, RosterError, fold, match_ids, read_roster

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
FORMATS = ("canvas", "moodle")
WITH_ASSIGNMENT_ID = re.compile(r"(?P<name>.*?)\s*\((?P<id>\d+)\)\s*")


@dataclass(frozen=True)
class Export:
    """The import file's text, whom it could not place, and what else the instructor should know."""

    text: str
    unmatched: dict[str, str]  # graded ids no roster row takes, with why (a "did you mean")
    without_submission: list[str]  # roster rows (by the matched column) with no graded submission
    notes: list[str] = field(default_factory=list)


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


def export(out: Path, roster_path: Path, assignment: str, lms: str, match: str) -> Export:
    """The gradebook of batch folder ``out`` as an import file for ``lms``, rows in the roster's order."""
    scores, maximum = read_scores(out)
    roster, match = read_roster(roster_path, match, CANVAS_IDENTITY if lms == "canvas" else ())
    taken, unmatched = match_ids(roster, match, sorted(scores))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    notes = []
    if lms == "canvas":
        column = assignment_column(roster, assignment)
        notes = column_notes(roster, assignment, column, maximum)
        writer.writerow([*CANVAS_IDENTITY, column])
        writer.writerow([POINTS_POSSIBLE, "", "", "", "", maximum])
        for i in range(len(roster.rows)):
            writer.writerow([spreadsheet_cell(roster.cell(i, roster.column(c))) for c in CANVAS_IDENTITY]
                            + [scores[taken[i]] if i in taken else ""])
    else:
        writer.writerow([match, assignment])
        for i in sorted(taken):
            writer.writerow([spreadsheet_cell(roster.cell(i, match)), scores[taken[i]]])
    without = [roster.cell(i, match) for i in range(len(roster.rows)) if i not in taken]
    return Export(buffer.getvalue(), unmatched, without, notes)


def assignment_column(roster: Roster, name: str) -> str:
    """The roster's header for the assignment `name` names (itself, or followed by its id: "Name (88231)"), up to
    case and spaces; `name` itself when the roster has none. Several candidates are a RosterError naming them."""
    candidates = [column for column in roster.header if column not in CANVAS_IDENTITY
                  and fold(name) in (fold(column), fold(without_id(column)))]
    if len(candidates) > 1:
        raise RosterError(f"--name {name!r} fits several of the roster's assignments "
                          f"({', '.join(repr(c) for c in candidates)}): give the whole header of the one to fill")
    return candidates[0] if candidates else name


def without_id(column: str) -> str:
    """A Canvas gradebook header without its assignment id: "Convolution (HW 1) (88231)" -> "Convolution (HW 1)"."""
    found = WITH_ASSIGNMENT_ID.fullmatch(column)
    return found["name"] if found else column


def column_notes(roster: Roster, name: str, column: str, maximum: str) -> list[str]:
    """What to know about the column written: a new assignment, or one whose points differ from the grader's."""
    if column not in roster.header:
        return [f"the roster has no assignment {name!r}: Canvas will create a new assignment of that name (to fill "
                "an existing one, give its name as the roster's header shows it)"]
    points = roster.points.get(column, "").strip()
    try:
        differ = bool(points and maximum) and float(points) != float(maximum)
    except ValueError:
        differ = False
    if differ:
        return [f"{column!r} is worth {points} points in Canvas, but the grader's maximum is {maximum}: the scores "
                f"are points out of {maximum}; set the assignment's points to {maximum} in Canvas, or they will "
                "read as a share of the wrong total"]
    return []
