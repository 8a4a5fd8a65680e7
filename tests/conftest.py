"""Shared helpers: the fixture submissions and a way to build a submission from parts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# One thread for each numeric library in the test processes (and the grader commands they start; a sandboxed child
# sets its own): two xdist workers share the cores, and OpenBLAS's threads spinning on a loaded machine made an
# in-process numpy call 20-70 times slower at random, enough to fail im2col's speed check on the reference itself.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import nbformat  # noqa: E402 - after the thread settings, which must come before numpy's first import
import pytest  # noqa: E402

from grader.release.stub import find_solution_blocks  # noqa: E402

# The repair search (grader.repair) costs seconds per failed function, and `grader check` runs it by default: tests
# that grade failing code through the command line do without it, and the repair tests ask for it (--hints).
os.environ["GRADER_HINTS"] = "off"

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).parent / "fixtures" / "submissions"


SHARED = ROOT.parent / "shared"


def solution_passages(root: Path = ROOT, length: int = 3) -> set[str]:
    """The solutions' own text: every run of ``length`` consecutive lines of every reference solution block
    (stripped, blank lines dropped). One line may be anyone's (``return torch.nn.Identity()``); three in a row
    are the solution's. Compare with ``code_text`` of what may not hold it."""
    passages = set()
    for module in sorted((root / "reference").glob("[!_]*.py")):
        source = module.read_text().splitlines()
        for block in find_solution_blocks("\n".join(source), module.name):
            lines = [line.strip() for line in source[block.begin:block.end - 1] if line.strip()]
            passages |= {"\n".join(lines[i:i + length]) for i in range(max(1, len(lines) - length + 1))}
    return passages


def code_text(text: str) -> str:
    """Text as ``solution_passages`` compares it: lines stripped, blank lines dropped."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def require(available: bool, reason: str) -> None:
    """Skip with ``reason`` when something a test needs is missing, but fail in CI (CI=true), which must have it."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: tests that need it must not skip)")
    pytest.skip(reason)


def shared(relative: str) -> Path:
    """A path under ../shared; skipped with a reason in a clone without it, but a failure in CI."""
    path = SHARED / relative
    require(path.exists(), f"{path} is missing: this clone has no ../shared beside it")
    return path


def copy_checkout(target: Path) -> Path:
    """A copy of this checkout's sources at ``target``, as a fresh clone holds them: none of the environment, the
    tests, build or cache folders (Hypothesis keeps its cache of root-only files in .hypothesis/)."""
    shutil.copytree(ROOT, target, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", "build", "tests", "out", ".pytest_cache", ".hypothesis"))
    return target


def compose(folder: Path, assignment: str, *parts: str) -> Path:
    """Write ``<assignment>.py`` made of fixture files (later definitions override earlier ones)."""
    path = folder / f"{assignment}.py"
    path.write_text("\n\n".join((SUBMISSIONS / assignment / part).read_text() for part in parts))
    return path


def as_notebook(source: Path, target: Path) -> Path:
    """The same code as a notebook: one cell per top-level block, plus prose, a magic and a shell line."""
    blocks = [block for block in source.read_text().split("\n\n\n") if block.strip()]
    cells = [nbformat.v4.new_markdown_cell("# My solution"), nbformat.v4.new_code_cell("%matplotlib inline")]
    cells += [nbformat.v4.new_code_cell(block) for block in blocks]
    cells.append(nbformat.v4.new_code_cell("!pip list\nprint('done')"))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), target)
    return target


@pytest.fixture
def submission(tmp_path: Path):
    """Build a submission file from fixture parts: ``submission("conv", "correct_loops.py", "mistakes/x.py")``."""
    return lambda assignment, *parts: compose(tmp_path, assignment, *parts)
