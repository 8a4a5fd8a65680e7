"""The code every student of an assignment was given, which similarity leaves out: the released stub (and its
notebook), found from the assignment itself rather than from the folder the command runs in.

Where the stub is: ``--root DIR`` when given; else the course folder of a suite kept outside the grader; else the
checkout (or installation) that holds the installed ``reference`` package (an instructor's); else the checkout
that holds the grader (a student release, or the course repository run from source). In each, the released
``assignments/NAME/NAME.py``, else the stub ``grader release`` cuts from ``reference/NAME.py``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.similarity.read import submission_text
from grader.submission import SubmissionError
from grader.suites import ASSIGNMENTS, get_suite


class SharedCodeError(Exception):
    """The code to leave out cannot be found or read; the message names the flag that fixes it."""


@dataclass(frozen=True)
class SharedCode:
    """Code every student had, left out of every comparison: what it is (a path, for the report) and its text."""

    label: str
    text: str


def shared_code(assignment: str, root: Path | None, base: list[Path]) -> tuple[list[SharedCode], str]:
    """What every student was given, left out of every comparison: the released stub and the --base files; and a
    warning, when the stub is missing but --base files were given (with none, that is an error)."""
    given = base_code(base, assignment)
    try:
        return released_stub(assignment, root) + given, ""
    except SharedCodeError as error:
        if not given:
            raise SharedCodeError(f"{error}: name the course repository with --root DIR, or the stub itself with "
                                  "--base FILE") from None
        return given, (f"{error}; only the --base files are left out (name the course repository with --root DIR "
                       "to leave the stub out too)")


def released_stub(assignment: str, root: Path | None = None) -> list[SharedCode]:
    """The assignment's released stub, with its notebook's code cells where the notebook is there too."""
    homes = [root] if root is not None else assignment_homes(assignment)
    for home in homes:
        if found := stub_in(home, assignment):
            return found
    where = f"--root {root}" if root is not None else ", ".join(str(home) for home in homes) or "no course folder"
    raise SharedCodeError(f"no released stub of {assignment!r} (assignments/{assignment}/{assignment}.py, or "
                          f"reference/{assignment}.py to cut it from) in {where}")


def assignment_homes(assignment: str) -> list[Path]:
    """The folders that may hold the assignment's stub, most specific first (see the module's docstring)."""
    homes = []
    if (home := course_home(assignment)) is not None:
        homes.append(home)
    if (reference := reference_file(assignment)) is not None:
        homes.append(reference.parents[1])
    homes.append(Path(grader.__file__).resolve().parents[1])
    return list(dict.fromkeys(homes))


def course_home(assignment: str) -> Path | None:
    """The course folder of an assignment kept outside the grader; None for the grader's own (whose suites are
    not imported here: they import torch, seconds for nothing)."""
    return None if assignment in ASSIGNMENTS else get_suite(assignment).home


def reference_file(assignment: str) -> Path | None:
    """The installed reference solution's file (instructor mode: a course's own, else the ``reference``
    package), or None where it is not installed."""
    if (home := course_home(assignment)) is not None:
        path = home / "reference" / f"{assignment}.py"
        return path if path.is_file() else None
    try:
        spec = importlib.util.find_spec(f"reference.{assignment}")
    except ImportError:
        return None
    return Path(spec.origin).resolve() if spec is not None and spec.origin else None


def stub_in(home: Path, assignment: str) -> list[SharedCode]:
    """The released stub and notebook in a course folder, else the stub cut from its reference, else nothing."""
    from grader.release import ReleaseError, make_stub

    folder = home / "assignments" / assignment
    stub, notebook = folder / f"{assignment}.py", folder / f"{assignment}.ipynb"
    if stub.is_file():
        return [SharedCode(str(stub), stub.read_text(encoding="utf-8")), *notebook_code(notebook, assignment)]
    reference = home / "reference" / f"{assignment}.py"
    if not reference.is_file():
        return []
    try:
        stub_text = make_stub(reference.read_text(encoding="utf-8"), reference.name)
    except ReleaseError as error:
        raise SharedCodeError(f"{reference} cannot be cut into its stub ({error})") from None
    return [SharedCode(f"{reference} (the stub `grader release` cuts from it)", stub_text)]


def notebook_code(notebook: Path, assignment: str) -> list[SharedCode]:
    """A released notebook's code cells as one text (as a notebook submission is read), if it is there."""
    try:
        text = submission_text(notebook, assignment) if notebook.is_file() else ""
    except SubmissionError:
        return []
    return [SharedCode(str(notebook), text)] if text.strip() else []


def base_code(paths: list[Path], assignment: str) -> list[SharedCode]:
    """The --base files (lecture code, an adapted template: .py or .ipynb), read as submissions are."""
    found = []
    for path in paths:
        if not path.is_file() or path.suffix.lower() not in (".py", ".ipynb"):
            raise SharedCodeError(f"--base {path}: name a .py file or a .ipynb notebook (lecture code, a template)")
        try:
            found.append(SharedCode(str(path), submission_text(path, assignment)))
        except SubmissionError as error:
            raise SharedCodeError(f"--base {path}: {error}") from None
    return found
