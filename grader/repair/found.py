"""What a verified repair is, as results and reports carry it: which function, each change (where, what kind, in
words), the change as a diff, and what the search cost. Plain data: it imports nothing of the grader."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

HINT_LEVELS = ("off", "line", "diff", "full")  # off: no search; full: the instructor's view


@dataclass(frozen=True)
class Change:
    """One rewrite of a repair: the mistake it undoes (``rule``), where (``where``: "conv.py, line 14"), and what
    a student reads about it (``says``: "the slice's end is one short")."""

    rule: str
    where: str
    says: str

    @property
    def line_hint(self) -> str:
        return f"{self.where}: {self.says}"


@dataclass(frozen=True)
class Repair:
    """A change to one function's source that makes every check of the function pass, on the inputs it was
    graded on and on fresh ones (``verified_seed``)."""

    function: str
    changes: tuple[Change, ...]
    diff: str  # a unified diff of the function, with the lines numbered as in the student's file
    candidates: int  # candidates graded before this one passed
    seconds: float
    verified_seed: int

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(change.rule for change in self.changes)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "changes": [asdict(change) for change in self.changes]}
