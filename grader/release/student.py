"""`grader release --student OUT`: the students' repository, the course's without the answers.

OUT holds the stubs and notebooks (`assignments/`), the grader package with its templates, a `pyproject.toml`
that installs the grader alone (no `reference/`: the installed grader grades against PyTorch, which `grader
validate` proves agrees with the reference), and a README for students. Nothing is copied from `reference/`
but what `grader release` cuts out of it anyway, and the files a suite withholds (``Suite.withheld``: lenet's own
network, which the release's lenet check replaces with data recorded from it) stay out.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import jinja2

import grader
from grader.gradescope import TORCH, TORCH_CPU_INDEX
from grader.release import expected_files
from grader.release.cells import ReleaseError
from grader.reports.html import TEMPLATES
from grader.status import Status
from grader.suites import ASSIGNMENTS, get_suite

PACKAGES = re.compile(r'^include = \["grader\*", "reference\*"\]$', re.MULTILINE)
SKIPPED_PARTS = ("__pycache__",)


def student_files(root: Path) -> dict[PurePosixPath, bytes]:
    """Everything the student release holds, relative to OUT, computed before anything is written."""
    files = expected_files(root)
    files |= package_files()
    files[PurePosixPath("pyproject.toml")] = student_pyproject((root / "pyproject.toml").read_text()).encode()
    files[PurePosixPath("README.md")] = student_readme(root).encode()
    return files


def package_files() -> dict[PurePosixPath, bytes]:
    """The grader package as installed from this checkout, its templates link followed; no caches, no hidden
    files, and none of the files a suite withholds (its own solution of the assignment, such as lenet's network)."""
    package = Path(grader.__file__).parent
    withheld = {path.resolve() for name in ASSIGNMENTS for path in get_suite(name).withheld}
    files = {}
    for folder, names, filenames in os.walk(package, followlinks=True):
        names[:] = sorted(name for name in names if name not in SKIPPED_PARTS and not name.startswith("."))
        for filename in filenames:
            path = Path(folder) / filename
            if not filename.startswith(".") and path.suffix not in (".pyc", ".pyo") and path.resolve() not in withheld:
                files[PurePosixPath("grader") / path.relative_to(package).as_posix()] = path.read_bytes()
    return files


def student_pyproject(instructor: str) -> str:
    """The course's pyproject.toml with the packages it installs narrowed to the grader."""
    narrowed, found = PACKAGES.subn('include = ["grader*"]', instructor)
    if not found:
        raise ReleaseError('pyproject.toml has no line include = ["grader*", "reference*"] under '
                           "[tool.setuptools.packages.find]: the student release narrows that line to the grader")
    return narrowed


def student_readme(root: Path) -> str:
    """The student README: install, check, what each status means, and each assignment's functions and visible
    checks."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    assignments = [{"name": name, "functions": get_suite(name).functions,
                    "checks": [check for check in get_suite(name).checks if check.visibility == "visible"]}
                   for name in ASSIGNMENTS if (root / "reference" / f"{name}.py").is_file()]
    return environment.get_template("student_README.md.j2").render(
        torch=TORCH, torch_index=TORCH_CPU_INDEX, assignments=assignments, statuses=list(Status))


def student_release(root: Path, out: Path) -> list[Path]:
    """Write the student release of the course repository ``root`` into the new or empty folder ``out``."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} already exists and is not an empty folder: name a new folder for the release")
    files = student_files(root)
    written = []
    for relative, data in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
