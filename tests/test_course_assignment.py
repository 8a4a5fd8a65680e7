"""A course adds an assignment without touching the grader: examples/course holds a `relu` assignment (its
reference, its suite with checks, two catalogued mistakes, its own oracles and their agreement), and `grader
release`, `check`, `validate` and `batch` all work on a copy of it through `--course`."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.suites import COURSE_VARIABLE, assignments

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "course"
pytestmark = pytest.mark.slow


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the example course, released (its stub and notebook written by `grader release`)."""
    folder = tmp_path / "course"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__", "assignments"))
    assert cli.main(["release", "--root", str(folder)]) == 0
    assert (folder / "assignments" / "relu" / "relu.ipynb").is_file()
    return folder


def results(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def full_marks(path: Path) -> bool:
    """Whether a results.json scores every point its tests offer."""
    written = results(path)
    return written["score"] == sum(test["max_score"] for test in written["tests"]) > 0


def test_the_grader_names_no_part_of_the_outside_assignment() -> None:
    assert not [path for path in (ROOT / "grader").rglob("*.py") if "relu_forward" in path.read_text(encoding="utf-8")]


def test_check_grades_the_reference_to_full_marks_and_the_stub_to_zero(course: Path, tmp_path: Path) -> None:
    full, empty = tmp_path / "full.json", tmp_path / "empty.json"
    assert cli.main(["--course", str(course), "check", "relu", str(course / "reference" / "relu.py"),
                     "--json", str(full)]) == 0
    assert cli.main(["--course", str(course), "check", "relu", str(course / "assignments" / "relu"),
                     "--json", str(empty)]) == 1
    assert full_marks(full) and results(empty)["score"] == 0
    assert results(full)["extra_data"]["oracle"] == "reference"


def test_a_catalogued_mistake_is_named(course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mistaken = tmp_path / "relu.py"
    mistaken.write_text((course / "reference" / "relu.py").read_text().replace("x > 0, dout", "x >= 0, dout"))
    assert cli.main(["--course", str(course), "check", "relu", str(mistaken)]) == 1
    assert "ReLU's gradient there is 0 (use x > 0, not x >= 0)" in capsys.readouterr().out


def test_validate_passes_on_the_course(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--course", str(course), "validate"]) == 0
    out = capsys.readouterr().out
    assert "2/2 mutants caught, each named by the feedback" in out and "relu_forward" in out


def test_batch_grades_files_and_notebooks(course: Path, tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(course / "reference" / "relu.py", submissions / "ada.py")
    shutil.copy(course / "assignments" / "relu" / "relu.ipynb", submissions / "cy.ipynb")
    out = tmp_path / "out"
    cli.main(["--course", str(course), "batch", "relu", str(submissions), "--out", str(out), "--profile", "quick",
              "--jobs", "2"])
    with (out / "gradebook.csv").open(newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert rows["ada"]["total"] == rows["ada"]["max"] and rows["cy"]["total"] == "0"


def test_the_course_is_known_only_while_named(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    assert "relu" not in assignments()
    monkeypatch.setenv(COURSE_VARIABLE, str(course))
    assert "relu" in assignments()


def test_a_folder_without_suites_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--course", str(tmp_path), "check", "conv"])
    assert exited.value.code == 2 and "no suites/ folder there" in capsys.readouterr().err


def test_an_installed_package_can_offer_an_assignment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `cnn_grader.assignments` entry point group: a package's module that defines `suite` (its reference is
    not installed beside it, so `auto` grades with its PyTorch oracle)."""
    (tmp_path / "relu_course.py").write_text((EXAMPLE / "suites" / "relu.py").read_text())
    info = tmp_path / "relu_course-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: relu-course\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[cnn_grader.assignments]\nrelu = relu_course\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    assert "relu" in assignments()
    out = tmp_path / "results.json"
    assert cli.main(["check", "relu", str(EXAMPLE / "reference" / "relu.py"), "--json", str(out)]) == 0
    assert full_marks(out) and results(out)["extra_data"]["oracle"] == "pytorch"
