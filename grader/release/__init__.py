"""`grader release`: regenerate assignments/ (stubs and notebooks) from reference/.

Each `reference/<name>.py` becomes `assignments/<name>/<name>.py` and `assignments/<name>/<name>.ipynb`;
the format is described in docs/reference-format.md.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import nbformat

from grader.release.cells import Cell, ReleaseError, parse_cells
from grader.release.notebook import make_notebook
from grader.release.stub import make_stub
from grader.suites import course_in_environment

__all__ = [
    "Cell",
    "ReleaseError",
    "expected_files",
    "make_notebook",
    "make_stub",
    "out_of_sync",
    "parse_cells",
    "reference_modules",
    "release",
]

_IGNORED_NAMES = {"__pycache__"}


def reference_modules(root: Path) -> list[Path]:
    """The reference modules that are assignments: `reference/*.py` but `__init__.py` and `_*.py`, sorted."""
    reference = root / "reference"
    if not reference.is_dir():
        raise ReleaseError(f"no reference/ folder in {root}; run this from the course repository's root")
    return sorted(path for path in reference.glob("*.py") if not path.name.startswith("_"))


def expected_files(root: Path) -> dict[PurePosixPath, bytes]:
    """What release writes, relative to root: each assignment's stub and notebook, as bytes.

    Everything is computed before anything is written, so one broken reference writes nothing.
    """
    files: dict[PurePosixPath, bytes] = {}
    with course_in_environment(*([root] if (root / "suites").is_dir() else [])):  # its suites name the functions
        for module in reference_modules(root):
            add_assignment(files, module)
    return files


def add_assignment(files: dict[PurePosixPath, bytes], module: Path) -> None:
    """One reference module's stub and notebook, added to ``files``."""
    name = module.stem
    filename = f"reference/{module.name}"
    source = module.read_text(encoding="utf-8")
    folder = PurePosixPath("assignments", name)
    files[folder / f"{name}.py"] = make_stub(source, filename).encode("utf-8")
    notebook = make_notebook(source, name, filename)
    files[folder / f"{name}.ipynb"] = (nbformat.writes(notebook) + "\n").encode("utf-8")


def release(root: Path) -> list[Path]:
    """Write every assignment's stub and notebook under root/assignments/ and return the paths written.

    Files in assignments/ that no reference produces are left alone; out_of_sync reports them.
    """
    written = []
    for relative, content in expected_files(root).items():
        path = root.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def _present_files(root: Path) -> list[PurePosixPath]:
    """Files under root/assignments/, relative to root, without hidden files, __pycache__ or checkpoints."""
    assignments = root / "assignments"
    if not assignments.is_dir():
        return []
    present = []
    for path in assignments.rglob("*"):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        hidden = any(part.startswith(".") or part in _IGNORED_NAMES for part in relative.parts)
        if path.is_file() and not hidden:
            present.append(relative)
    return sorted(present)


def out_of_sync(root: Path) -> list[str]:
    """One line per difference between assignments/ and what release would write; empty when in sync."""
    expected = expected_files(root)
    problems = []
    for relative, content in expected.items():
        path = root.joinpath(*relative.parts)
        if not path.is_file():
            problems.append(f"{relative} is missing: run `grader release`")
        elif path.read_bytes() != content:
            problems.append(
                f"{relative} differs from what `grader release` writes: "
                "run `grader release` (never edit assignments/ by hand)"
            )
    for relative in _present_files(root):
        if relative not in expected:
            problems.append(
                f"{relative} is not generated from reference/: "
                "remove it, or add the reference module it belongs to"
            )
    return problems
