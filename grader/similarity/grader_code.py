"""What no submission should hold: the grader's own code (every module of the installed package, its suites'
oracles and models included, and a course's own suite) and, in instructor mode, the assignment's reference
solution. A submission that copies them can pass every check; similarity flags it all the same."""

from __future__ import annotations

from pathlib import Path

import grader
from grader.similarity.fingerprints import Code
from grader.similarity.stub import course_home, reference_file


def grader_code(assignment: str) -> list[Code]:
    """The grader package's modules, the course's suite of an outside assignment, and the installed reference,
    each named as the report shows it (``grader/suites/lenet/model.py``, ``reference/conv.py``)."""
    package = Path(grader.__file__).resolve().parent
    found = [(f"grader/{path.relative_to(package).as_posix()}", path) for path in sorted(package.rglob("*.py"))
             if "__pycache__" not in path.parts]
    if (home := course_home(assignment)) is not None:
        found.append((f"suites/{assignment}.py", home / "suites" / f"{assignment}.py"))
    if (reference := reference_file(assignment)) is not None:
        found.append((f"reference/{reference.name}", reference))
    return [Code(name, path.read_text(encoding="utf-8"), "source") for name, path in found]
