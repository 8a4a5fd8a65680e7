"""A course's roster (the LMS's own export) and which of its rows each graded id belongs to.

An id matches the roster's `match` column ignoring case, Unicode spelling and runs of spaces. The key of an LMS
download (see `downloads`) matches as that LMS names students: a Canvas key by the user id in the "ID" column when
its name part is the "Student" column's name as Canvas writes it; a Moodle key by its participant number in a
grading worksheet's "Identifier" column ("Participant 123456"), or else by the full name (first and last name
columns, in either order). An id that no row takes is told the closest roster row (difflib) as a "did you mean".
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.batch.downloads import CANVAS_KEY, MOODLE_KEY, canvas_name, key_parts

POINTS_POSSIBLE = "Points Possible"
FIRST_NAMES, LAST_NAMES = ("First name", "firstname"), ("Last name", "lastname")
Finder = Callable[[str], list[int]]  # a graded id -> the indices of the roster rows it fits


class RosterError(ValueError):
    """A roster or gradebook that cannot be read as the format needs; the message says what to fix."""


def fold(text: str) -> str:
    """`text` as ids are compared: one Unicode spelling, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class Roster:
    """The roster's header, its student rows in order, and its Points Possible row (Canvas) by column."""

    header: list[str]
    rows: list[dict[str, str]]
    points: dict[str, str]

    def column(self, *names: str) -> str | None:
        """The roster's own spelling of the first of `names` it has (compared as `fold` does), or None."""
        return next((c for name in names for c in self.header if fold(c) == fold(name)), None)

    def cell(self, index: int, column: str | None) -> str:
        """Row `index`'s cell in `column`, stripped ('' without that column or cell)."""
        return (self.rows[index].get(column) or "").strip() if column else ""

    def describe(self, index: int, match: str) -> str:
        """A row as an instructor recognises it: its id in `match`, and the student's name where there is one."""
        name = self.cell(index, self.column("Student", "Full name")) or " ".join(
            filter(None, (self.cell(index, self.column(*FIRST_NAMES)), self.cell(index, self.column(*LAST_NAMES)))))
        return f"{self.cell(index, match)} ({name})" if name else self.cell(index, match)


def read_roster(path: Path, match: str, identity: tuple[str, ...]) -> tuple[Roster, str]:
    """The roster at `path` (student rows only: the Points Possible row and rows without `match` dropped) and the
    roster's own spelling of the `match` column; a RosterError names the columns it lacks."""
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    everything = Roster(list(reader.fieldnames or []), list(reader), {})
    columns = {name: everything.column(name) for name in dict.fromkeys((*identity, match))}
    missing = [name for name, found in columns.items() if found is None]
    if missing:
        raise RosterError(f"{path} has no column {', '.join(repr(c) for c in missing)}: export the course's "
                          "gradebook (Canvas: Grades > Export; Moodle: the users' or the grading worksheet's CSV) and "
                          "pass that file as --roster")
    first = everything.header[0]
    points = next((row for row in everything.rows if (row.get(first) or "").strip().startswith(POINTS_POSSIBLE)), {})
    rows = [row for row in everything.rows if row is not points and (row.get(columns[match]) or "").strip()]
    return Roster(everything.header, rows, {key: value or "" for key, value in points.items()}), str(columns[match])


def match_ids(roster: Roster, match: str, ids: list[str]) -> tuple[dict[int, str], dict[str, str]]:
    """Which graded id each roster row gets (by row index), and for each id no row takes, why: a sentence with a
    "did you mean" when a roster row is close."""
    finders = [by_column(roster, match), by_canvas_key(roster), by_moodle_key(roster)]
    taken: dict[int, str] = {}
    unmatched: dict[str, str] = {}
    for sid in ids:
        rows = next((found for find in finders if (found := find(sid))), [])
        if len(rows) == 1 and rows[0] not in taken:
            taken[rows[0]] = sid
        elif len(rows) > 1:
            unmatched[sid] = (f"{len(rows)} roster rows fit it ({'; '.join(roster.describe(i, match) for i in rows)});"
                              " rename the submission to the student's id")
        elif rows:
            unmatched[sid] = (f"its roster row, {roster.describe(rows[0], match)}, already has {taken[rows[0]]}'s "
                              "grade; keep one submission per student")
        else:
            unmatched[sid] = did_you_mean(roster, match, sid)
    return taken, unmatched


def by_column(roster: Roster, match: str) -> Finder:
    """Rows whose `match` cell is the id, up to case and spaces."""
    index: dict[str, list[int]] = {}
    for i in range(len(roster.rows)):
        index.setdefault(fold(roster.cell(i, match)), []).append(i)
    return lambda sid: index.get(fold(sid), [])


def by_canvas_key(roster: Roster) -> Finder:
    """The row of a Canvas download's key: its user id in "ID", its name part the "Student" column's."""
    user, student = roster.column("ID"), roster.column("Student")
    index = {roster.cell(i, user): i for i in range(len(roster.rows))} if user and student else {}

    def find(sid: str) -> list[int]:
        name, number = key_parts(sid, CANVAS_KEY) or ("", "")
        row = index.get(number)
        return [row] if row is not None and fold(canvas_name(roster.cell(row, student))) == fold(name) else []
    return find


def by_moodle_key(roster: Roster) -> Finder:
    """The rows of a Moodle download's key: by participant number in "Identifier", else by full name."""
    identifier = roster.column("Identifier")
    numbers = {number[0]: [i] for i in range(len(roster.rows))
               if (number := re.search(r"\d+$", roster.cell(i, identifier)))}
    names: dict[str, list[int]] = {}
    for i in range(len(roster.rows)):
        for name in full_names(roster, i):
            names.setdefault(name, []).append(i)

    def find(sid: str) -> list[int]:
        name, number = key_parts(sid, MOODLE_KEY) or ("", "")
        return numbers.get(number, []) if identifier else names.get(fold(name), []) if name else []
    return find


def full_names(roster: Roster, index: int) -> set[str]:
    """A row's full name as Moodle may write it (first last, or last first), folded; none without name columns."""
    first, last = roster.cell(index, roster.column(*FIRST_NAMES)), roster.cell(index, roster.column(*LAST_NAMES))
    full = roster.cell(index, roster.column("Full name"))
    return {fold(name) for name in (f"{first} {last}", f"{last} {first}", full) if name.strip()}


def did_you_mean(roster: Roster, match: str, sid: str) -> str:
    """Why `sid` matched no row, with the closest row's id and name when one is close (difflib)."""
    handles: dict[str, int] = {}
    user, student = roster.column("ID"), roster.column("Student")
    for i in range(len(roster.rows)):
        canvas = f"{canvas_name(roster.cell(i, student))}_{roster.cell(i, user)}" if user and student else ""
        for handle in (roster.cell(i, match), canvas, *full_names(roster, i)):
            handles.setdefault(fold(handle), i)
    close = difflib.get_close_matches(fold(sid), [h for h in handles if h], n=1)
    if close:
        return f"did you mean {roster.describe(handles[close[0]], match)}?"
    return f"no roster row is close to it in {match!r}; is this the course's roster?"
