"""What a student (or an instructor) reads of a repair, by hint level: ``line`` names each line and the kind of
change ("conv.py, line 14: the slice's end is one short"), ``diff`` shows the change itself, ``full`` (the
instructor's view) adds the rewrites' names and what the search cost. ``off``: nothing (no search runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from grader.repair.found import Repair

STUDENT_LEVELS = ("off", "line", "diff")
INSTRUCTOR = "full"


@dataclass(frozen=True)
class Hint:
    """A repair as one view shows it: a heading, one line per change, the diff ('' unless shown) and the
    instructor's note ('' unless shown)."""

    heading: str
    lines: tuple[str, ...]
    diff: str
    note: str

    def text(self) -> str:
        """The hint as plain text (terminal, notebook)."""
        parts = [f"Hint: {self.heading}", *(f"  {line}" for line in self.lines)]
        return "\n".join(parts + ([self.diff] if self.diff else []) + ([self.note] if self.note else []))

    @property
    def diff_lines(self) -> list[tuple[str, str]]:
        """The diff's lines, each with what it is: "removed", "added", "where" (a file or hunk header) or ""."""
        kinds = {"-": "removed", "+": "added", "@": "where"}
        return [("where" if line.startswith(("---", "+++")) else kinds.get(line[:1], ""), line)
                for line in self.diff.splitlines()]


def hint(repair: Repair, level: str) -> Hint | None:
    """The repair as ``level`` shows it; None at ``off``."""
    if level == "off":
        return None
    lines = tuple(change.line_hint for change in repair.changes)
    shown = "this change" if level != "line" else "changing " + ("this line" if len(lines) == 1 else "these lines")
    shown = shown[0].upper() + shown[1:]
    heading = (f"{shown} makes every check of {repair.function} pass (the grader found it and checked it on inputs "
               "it had not tried)")
    diff = repair.diff if level in ("diff", INSTRUCTOR) else ""
    note = ""
    if level == INSTRUCTOR:
        note = (f"Rewrites: {', '.join(repair.rules)}; found after {repair.candidates} candidates in "
                f"{repair.seconds:.1f} s; verified on fresh inputs (seed {repair.verified_seed}).")
    return Hint(heading, lines, diff, note)


def hint_for(functions: Sequence[str], failed: bool, repairs: Sequence[Repair], level: str) -> Hint | None:
    """The hint a failed check shows: the repair of the first of its functions that has one."""
    if not failed:
        return None
    found = next((r for name in functions for r in repairs if r.function == name), None)
    return hint(found, level) if found is not None else None
