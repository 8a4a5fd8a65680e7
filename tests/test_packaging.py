"""What leaves this repository: the student release (the grader without the answers) and the instructor's
wheel, each built, installed non-editably into a fresh virtual environment outside the repository, and used there.

The fresh environments take numpy, torch and the rest from this one's site-packages through a ``.pth`` line,
which adds that folder to the path without running its ``.pth`` files: the editable install of this checkout
(which would put ``grader`` and ``reference`` back on the path) stays out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS, code_text, solution_passages

pytestmark = pytest.mark.slow
HERE_PACKAGES = sysconfig.get_paths()["purelib"]


def fresh_environment(folder: Path) -> Path:
    """A new virtual environment whose own site-packages is empty but for a line naming this one's; its python."""
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(HERE_PACKAGES + "\n")
    return python


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a module of the fresh environment from ``cwd``, far from this repository."""
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "GRADER_NO_DAEMON": "1"})


def build_wheel(source: Path, out: Path) -> Path:
    """Build a wheel of ``source`` with this environment's setuptools (the fresh one's may predate wheels)."""
    built = run(Path(sys.executable), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                str(source), cwd=out.parent)
    assert built.returncode == 0, built.stderr
    return next(out.glob("*.whl"))


def install(python: Path, wheel: Path) -> None:
    installed = run(python, "-m", "pip", "install", "--no-deps", "-q", str(wheel), cwd=wheel.parent)
    assert installed.returncode == 0, installed.stderr


def grade(python: Path, assignment: str, submission: Path, cwd: Path, *options: str) -> dict:
    results = cwd / f"{submission.stem}.json"
    checked = run(python, "-m", "grader.cli", "check", assignment, str(submission), "--json", str(results), *options,
                  cwd=cwd)
    assert checked.returncode in (0, 1), checked.stderr
    return json.loads(results.read_text())


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The student release written by `grader release --student`, its wheel, and a fresh environment holding
    that wheel."""
    top = tmp_path_factory.mktemp("student")
    release = top / "release"
    written = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--student", str(release)],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr
    python = fresh_environment(top / "venv")
    wheel = build_wheel(release, top / "dist")
    install(python, wheel)
    return release, wheel, python


def test_the_student_release_grades_a_correct_submission_to_full_marks_and_the_stub_to_zero(
        student: tuple[Path, Path, Path], tmp_path: Path) -> None:
    release, _, python = student
    correct = grade(python, "conv", SUBMISSIONS / "conv" / "correct_loops.py", tmp_path)
    stub = grade(python, "conv", release / "assignments" / "conv" / "conv.py", tmp_path)
    assert correct["score"] == sum(test["max_score"] for test in correct["tests"]) > 0
    assert correct["extra_data"]["oracle"] == "pytorch"
    assert stub["score"] == 0


def test_no_reference_module_is_importable_from_the_student_install(student: tuple[Path, Path, Path],
                                                                      tmp_path: Path) -> None:
    _, _, python = student
    found = run(python, "-c", "import importlib.util, grader; print(importlib.util.find_spec('reference'), "
                "grader.__file__)", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("None ") and "site-packages" in found.stdout
    refused = run(python, "-m", "grader.cli", "check", "conv", str(SUBMISSIONS / "conv" / "correct_loops.py"),
                  "--oracle", "reference", cwd=tmp_path)
    assert refused.returncode != 0 and "--oracle reference needs reference/conv.py" in refused.stdout + refused.stderr


def test_no_solution_text_is_anywhere_in_the_student_release_or_its_wheel(student: tuple[Path, Path, Path]) -> None:
    release, wheel, _ = student
    files = [path.read_bytes() for path in release.rglob("*") if path.is_file()]
    with zipfile.ZipFile(wheel) as archive:
        files += [archive.read(name) for name in archive.namelist()]
    text = code_text("\n".join(data.decode("utf-8", "replace") for data in files))
    passages = solution_passages()
    assert len(passages) > 100 and [passage for passage in passages if passage in text] == []
    assert not [path for path in release.rglob("*") if "reference" in path.relative_to(release).parts]


def test_the_student_readme_says_how_to_install_and_check(student: tuple[Path, Path, Path]) -> None:
    readme = (student[0] / "README.md").read_text()
    assert "pip install ." in readme and "grader check conv assignments/conv/conv.py" in readme
    assert 'grader.check("conv_forward")' in readme and "### lenet" in readme


def test_the_instructors_wheel_carries_the_templates_and_the_reference_and_writes_a_report(
        tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", "build", "tests", "out", ".pytest_cache"))
    python = fresh_environment(tmp_path / "venv")
    wheel = build_wheel(source, tmp_path / "dist")
    install(python, wheel)
    shutil.rmtree(source)
    report = tmp_path / "report.html"
    graded = grade(python, "pool", SUBMISSIONS / "pool" / "correct_loops.py", tmp_path, "--html", str(report))
    assert graded["extra_data"]["oracle"] == "reference" and graded["score"] > 0
    assert "<html" in report.read_text() and "max_pool_forward" in report.read_text()
