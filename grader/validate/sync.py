"""assignments/ is exactly what `grader release` writes, and each notebook is valid nbformat whose code cells are
the stub's; every reference module has a suite."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import nbformat

from grader.release import ReleaseError, parse_cells, reference_modules
from grader.validate.findings import FAIL, OK, Finding, first_line
from grader.validate.run import Run

PROPERTY = "sync"


def check(assignment: str, run: Run) -> Finding:
    """The assignment's stub and notebook are what release writes, and the notebook's code is the stub's."""
    folder = f"assignments/{assignment}/"
    try:
        problems = [p for p in run.release_problems() if p.startswith(folder)]
    except ReleaseError as error:
        return Finding(assignment, PROPERTY, FAIL, f"`grader release` cannot cut the reference: {error}")
    problems += notebook_problems(run.root, assignment)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Finding(assignment, PROPERTY, FAIL, first_line(problems[0]) + more)
    return Finding(assignment, PROPERTY, OK, f"{folder} is what `grader release` writes; the notebook is valid "
                                             "nbformat 4 and its code cells are the stub's")


def notebook_problems(root: Path, assignment: str) -> list[str]:
    """Why assignments/<a>/<a>.ipynb is not valid nbformat 4 or its code cells differ from the stub's ([] if fine)."""
    stub, notebook = (root / "assignments" / assignment / f"{assignment}{suffix}" for suffix in (".py", ".ipynb"))
    if not (stub.is_file() and notebook.is_file()):
        return []
    relative = f"assignments/{assignment}/{notebook.name}"
    try:
        node = nbformat.read(notebook, as_version=4)
        nbformat.validate(node)
    except (ValueError, nbformat.ValidationError) as error:
        return [f"{relative} is not valid nbformat 4 ({first_line(str(error), 120)}): run `grader release`"]
    code = [c.source.strip() for c in node.cells
            if c.cell_type == "code" and not {"check", "grader"} & set(c.metadata.get("tags", []))]
    expected = [c.text.strip() for c in parse_cells(stub.read_text(encoding="utf-8"), str(stub))
                if c.kind == "code" and c.text.strip()]
    if code == expected:
        return []
    index = next((i for i, (a, b) in enumerate(zip(code, expected)) if a != b), min(len(code), len(expected)))
    return [f"{relative}'s code cell {index + 1} is not the stub's (the notebook has {len(code)} code cells, the "
            f"stub {len(expected)}): run `grader release`"]


def strays(run: Run, assignments: Sequence[str]) -> list[Finding]:
    """Files under assignments/ that no assignment owns, and reference modules that have no suite."""
    owned = tuple(f"assignments/{a}/" for a in assignments)
    try:
        problems = run.release_problems()
    except ReleaseError:
        problems = []  # each assignment's sync finding has reported it
    findings = [Finding(p.split("/")[1], PROPERTY, FAIL, first_line(p)) for p in problems if not p.startswith(owned)]
    for module in reference_modules(run.root):
        if module.stem not in assignments:
            findings.append(Finding(module.stem, "suite", FAIL, f"reference/{module.name} has no suite: add "
                                    f"suites/{module.stem}.py to the course folder and give it with --course "
                                    "(docs/adding-an-assignment.md)"))
    return findings
