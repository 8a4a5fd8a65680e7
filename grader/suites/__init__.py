"""The assignments' suites, looked up by name: the grader's own (one package each in this folder, found by
looking), and a course's own from outside.

A course keeps more assignments outside the grader in a course folder (``grader --course DIR``, or the
``GRADER_COURSE`` environment variable, which batch workers inherit): ``DIR/suites/<name>.py`` defines ``suite``,
``DIR/reference/<name>.py`` is its solution, and ``grader release --root DIR`` writes ``DIR/assignments/<name>/``.
An installed package can also offer suites through the ``cnn_grader.assignments`` entry point group
(``name = "package.module"``, a module that defines ``suite``). docs/adding-an-assignment.md walks through one.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # the framework imports numpy and Hypothesis: the command line's start does without
    from grader.suites.framework import Suite


def built_in_assignments() -> tuple[str, ...]:
    """The assignments shipped with the grader: each package in this folder (``grader/suites/<name>/``) is one."""
    return tuple(sorted(path.parent.name for path in Path(__file__).parent.glob("*/__init__.py")
                        if not path.parent.name.startswith("_")))


ASSIGNMENTS = built_in_assignments()
COURSE_VARIABLE = "GRADER_COURSE"
ENTRY_POINTS = "cnn_grader.assignments"


def course_folders() -> list[Path]:
    """The course folders named by ``GRADER_COURSE`` (separated like PATH), in order."""
    return [Path(part) for part in os.environ.get(COURSE_VARIABLE, "").split(os.pathsep) if part]


@contextlib.contextmanager
def course_in_environment(*folders: Path) -> Iterator[None]:
    """Add course folders for this process and every process it starts meanwhile (batch workers)."""
    before = os.environ.get(COURSE_VARIABLE)
    if folders:
        named = [str(folder.resolve()) for folder in folders] + [str(folder) for folder in course_folders()]
        os.environ[COURSE_VARIABLE] = os.pathsep.join(dict.fromkeys(named))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(COURSE_VARIABLE, None)
        else:
            os.environ[COURSE_VARIABLE] = before


def suite_files(folder: Path) -> dict[str, Path]:
    """The suite modules of one course folder (``suites/*.py``), by assignment name."""
    return {path.stem: path for path in sorted((folder / "suites").glob("*.py")) if not path.name.startswith("_")}


def course_suite_files() -> dict[str, Path]:
    """Each outside assignment's suite file, by name; the first course folder naming one wins."""
    found: dict[str, Path] = {}
    for folder in course_folders():
        for name, path in suite_files(folder).items():
            found.setdefault(name, path)
    return found


def repository_assignments(root: Path) -> tuple[str, ...]:
    """The assignments a course repository holds: a course folder's own suites, else the built-in six."""
    return tuple(suite_files(root)) or ASSIGNMENTS


def entry_point_names() -> list[str]:
    return [point.name for point in importlib.metadata.entry_points(group=ENTRY_POINTS)]


def assignments() -> tuple[str, ...]:
    """Every assignment this process can grade: the built-in ones, then the course's, then installed ones."""
    return tuple(dict.fromkeys([*ASSIGNMENTS, *course_suite_files(), *entry_point_names()]))


def suite_module(assignment: str) -> ModuleType:
    """The module that defines an assignment's ``suite`` (and its ``as_student`` or ``mutants``)."""
    if assignment in ASSIGNMENTS:
        return importlib.import_module(f"grader.suites.{assignment}")
    files = course_suite_files()
    if assignment in files:
        return outside_module(files[assignment])
    for point in importlib.metadata.entry_points(group=ENTRY_POINTS, name=assignment):
        return importlib.import_module(point.value)
    raise KeyError(f"unknown assignment {assignment!r}; choose one of: {', '.join(assignments())} (a course's own "
                   f"assignments are found with --course DIR or ${COURSE_VARIABLE})")


def get_suite(assignment: str) -> Suite:
    """The suite of an assignment; a clear error names the assignments that exist."""
    return suite_module(assignment).suite


@functools.cache
def outside_module(path: Path) -> ModuleType:
    """Load a course's suite module from its file (once per process); its suite's ``home`` is the course folder."""
    name = f"course_suites.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if module.suite.assignment != path.stem:
        raise ValueError(f"{path} defines the suite of {module.suite.assignment!r}; name the file "
                         f"{module.suite.assignment}.py")
    module.suite.home = path.parents[1]
    return module
