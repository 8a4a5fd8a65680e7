"""What `grader validate` found: one finding per (assignment, property), printed one line each, then a total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

OK, FAIL, SKIP = "ok", "FAIL", "skip"


@dataclass(frozen=True)
class Finding:
    """Whether one property holds for one assignment, and the reason, in one line."""

    assignment: str
    property: str
    status: str
    reason: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def line(self) -> str:
        """The report's line: assignment, property, status and reason in aligned columns."""
        return f"{self.assignment:<8} {self.property:<9} {self.status:<4}  {self.reason}"


def total(findings: Sequence[Finding], seconds: float) -> str:
    """The last line: how many properties hold, and which failed, so a CI log's tail says what broke."""
    failed = [f for f in findings if f.failed]
    counts = (f"{sum(f.status == OK for f in findings)} ok, {len(failed)} failed, "
              f"{sum(f.status == SKIP for f in findings)} skipped, in {seconds:.0f} s")
    if failed:
        return f"validate FAILED ({counts}): " + ", ".join(f"{f.assignment} {f.property}" for f in failed)
    return f"validate passed ({counts})"


def first_line(text: str, limit: int = 240) -> str:
    """The first line of a message, cut to ``limit`` characters, for a one-line reason."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
