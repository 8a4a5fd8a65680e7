"""`grader.check("conv_forward")` in a notebook: grade one function against the cells run so far.

The kernel's objects are never graded directly: the source of the cells the
student has run (IPython's ``In`` history) goes to a sandbox child like any
submission, and only the checks of that function run. The result renders
inline as an HTML fragment whose styles stay inside it (``NotebookReport._repr_html_``), and as a few
lines of text in plain IPython. The warm grader (``grader.warm``) grades it when it can, so the kernel neither
imports torch nor starts a sandbox of its own; else it is graded here, the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from grader.progress import LiveLine, OnProgress, TerminalLine
from grader.results import GradeReport
from grader.settings import PROFILES, Settings, hint_level
from grader.submission import CALLS_GRADER, SourceCell, Submission, strip_magics
from grader.suites import assignments, get_suite


def assignment_of(function: str) -> str:
    """The assignment a student function belongs to; a clear error for a name no assignment has."""
    for assignment in assignments():
        if function in get_suite(assignment).functions:
            return assignment
    known = ", ".join(f for a in assignments() for f in get_suite(a).functions)
    raise ValueError(f"no assignment has a function called {function!r}; the graded names are: {known}")


def current_shell() -> Any:
    """The IPython shell this runs in (a Jupyter kernel's, or IPython's in a terminal), or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def kernel_history() -> list[str]:
    """The source of every cell run so far in this IPython kernel, in order."""
    shell = current_shell()
    if shell is None:
        raise RuntimeError("grader.check(...) reads the cells you have run: call it inside Jupyter or IPython, "
                           "or run `grader check ASSIGNMENT PATH` in a terminal")
    return list(shell.user_ns.get("In", []))[1:]


def cells_to_grade(history: Sequence[str]) -> tuple[SourceCell, ...]:
    """The student's cells, without magics and without the cells that call the grader itself."""
    cells = []
    for number, source in enumerate(history, start=1):
        code = strip_magics(source)
        if code and not CALLS_GRADER.search(code):
            cells.append(SourceCell(code, f"In [{number}]", 1))
    return tuple(cells)


class NotebookReport(GradeReport):
    """A grade that Jupyter shows as the HTML report (a fragment styled inside itself) and IPython as text."""

    def _repr_html_(self) -> str:
        from grader.reports.html import render_fragment

        return render_fragment(self)

    def __repr__(self) -> str:
        """The score line and each function's status, then each check's status and title; a failed check's first
        line of feedback."""
        from grader.reports.view import feedback, function_line, summary

        lines = [summary(self), f"Functions: {function_line(self)}"]
        width = max((len(result.status) for result in self.results), default=0)
        for result in self.results:
            lines.append(f"  {result.status.upper():<{width}}  {result.title}")
            if not result.passed:
                lines.append(f"      {feedback(result).splitlines()[0][:160]}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True)
class ProgressText:
    """The live line as Jupyter shows it (small grey text under the cell) and as plain text elsewhere."""

    text: str

    def _repr_html_(self) -> str:
        style = "font: 12px monospace; color: #555; white-space: nowrap; overflow: hidden; text-overflow: ellipsis"
        return f'<div class="grader-progress" style="{style}">{html.escape(self.text)}</div>'

    def __repr__(self) -> str:
        return self.text


class NotebookLine(LiveLine):
    """The live line under a ``grader.check`` cell in Jupyter: one display, updated in place; once the checks are
    done it says how many ran and how long they took."""

    def __init__(self) -> None:
        from IPython.display import display

        super().__init__()
        self.handle = display(ProgressText("starting the checks"), display_id=True)

    def show(self, text: str) -> None:
        self.handle.update(ProgressText(text))

    def close(self) -> None:
        if self.progress is not None:
            self.show(f"{self.progress.assignment}: {self.progress.total} checks run in "
                      f"{time.monotonic() - self.started:.1f} s")


def live_line() -> contextlib.AbstractContextManager:
    """The line that follows the checks while they run: a display in Jupyter, stderr in IPython on a terminal,
    nothing elsewhere (a script, a test)."""
    shell = current_shell()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        return NotebookLine()
    if shell is not None and sys.stderr.isatty():
        return TerminalLine(sys.stderr)
    return contextlib.nullcontext()


def check(function: str, history: Sequence[str] | None = None, profile: str = "quick") -> NotebookReport:
    """Grade ``function`` as the notebook defines it now; Jupyter shows the returned report as HTML, and a line
    that follows the checks while they run."""
    from grader.warm import client

    if PROFILES[profile].seed is None:
        raise ValueError(f"grader.check runs the public profiles, 'quick' or 'thorough', not {profile!r}: the "
                         "official grade draws its inputs from a secret the course keeps")
    cells = cells_to_grade(kernel_history() if history is None else history)
    settings = Settings(profile, hints=hint_level())
    with live_line() as on_progress:
        report = client.grade_function(function, cells, settings, on_progress) if client.enabled() else None
        report = report or grade_function(function, cells, settings, on_progress)
    return NotebookReport(**vars(report))


def grade_function(function: str, cells: tuple[SourceCell, ...], settings: Settings,
                   on_progress: OnProgress | None = None) -> GradeReport:
    """Grade ``function`` in ``cells`` with that function's checks only, in this process."""
    from grader.runner import grade_submission

    assignment = assignment_of(function)
    digest = hashlib.sha256("\n".join(c.source for c in cells).encode()).hexdigest()
    submission = Submission(Path(f"{assignment}.ipynb"), "ipynb", cells, digest)
    return grade_submission(assignment, submission, settings, only=lambda c: function in c.functions,
                            on_progress=on_progress)
