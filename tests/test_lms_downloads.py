"""The LMS round trip: a Canvas or Moodle bulk download graded as it comes (one student per key, their files
gathered), then exported onto the rows of the course's own roster.

The names are the LMSes' own: Canvas's ContentZipper writes `<sortable name, lowercased, word characters
only>[_LATE]_<user id>_<attachment id>_<file name>` (and `_text.html` for a text entry); Moodle's "Download all
submissions" writes a folder `<full name>_<participant id>_assignsubmission_<plugin>_/` per student and plugin.
The rosters are a Canvas gradebook export (with its Points Possible row and the assignment's column headed
"Convolution (HW 1) (88231)") and Moodle's user export (Site administration > Users > Bulk user actions > Download).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import SUBMISSIONS

from grader.batch.discover import discover
from grader.batch.executor import LocalExecutor
from grader.batch.run import run_batch
from grader.cli import main
from grader.settings import Settings

LMS = Path(__file__).parent / "fixtures" / "lms"
CORRECT = (SUBMISSIONS / "conv" / "correct_loops.py").read_text()
SYNTAX_ERROR = "def conv_forward(x, w, b, conv_param):\n    return (\n"
DEFINES_NOTHING = "print('I will finish it tonight')\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    """`files` (relative path -> text) under `folder`."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def canvas_download(folder: Path) -> Path:
    """Four students: one file, a late one, a resubmitted file beside notes, and a text entry."""
    return write(folder, {"doejane_12345_67890_conv.py": CORRECT,
                          "smithjohn_LATE_12346_67891_conv.py": SYNTAX_ERROR,
                          "garcíamaría_12347_67892_conv-1.py": DEFINES_NOTHING,
                          "garcíamaría_12347_67893_README.md": "# my notes\n",
                          "nguyentran_12348_text.html": "<p>see attached</p>\n"})


def moodle_download(folder: Path) -> Path:
    """Three students in Moodle's folders (one with a file and an online text); the fourth handed nothing in."""
    return write(folder, {"Jane Doe_5071_assignsubmission_file_/conv.py": CORRECT,
                          "John Smith_5072_assignsubmission_file_/conv.py": SYNTAX_ERROR,
                          "María García_5073_assignsubmission_file_/conv.py": DEFINES_NOTHING,
                          "María García_5073_assignsubmission_onlinetext_/onlinetext.html": "<p>done</p>\n"})


@pytest.fixture(scope="module")
def pool():
    with LocalExecutor(2) as workers:
        yield workers


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def test_a_canvas_download_is_read_as_one_entry_per_student(tmp_path: Path) -> None:
    (tmp_path / "scratch").mkdir()
    entries = {e.student_id: e for e in discover(canvas_download(tmp_path / "download"), tmp_path / "scratch")}
    assert sorted(entries) == ["doejane_12345", "garcíamaría_12347", "nguyentran_12348", "smithjohn_12346"]
    gathered = entries["garcíamaría_12347"]
    assert gathered.problem is None and sorted(p.name for p in gathered.path.iterdir()) == ["README.md", "conv-1.py"]
    assert len(gathered.sources) == 2
    assert entries["nguyentran_12348"].problem == "nguyentran_12348_text.html is not a .py, .ipynb, .zip or folder"


def test_a_canvas_download_unzipped_on_macos_gives_the_same_keys(tmp_path: Path) -> None:
    decomposed = write(tmp_path / "download", {"garci\u0301amari\u0301a_12347_67892_conv-1.py": DEFINES_NOTHING})
    (tmp_path / "scratch").mkdir()
    assert [e.student_id for e in discover(decomposed, tmp_path / "scratch")] == ["garc\u00edamar\u00eda_12347"]


def test_a_moodle_download_in_files_or_folders_is_read_as_one_entry_per_student(tmp_path: Path) -> None:
    (tmp_path / "scratch").mkdir()
    entries = {e.student_id: e for e in discover(moodle_download(tmp_path / "folders"), tmp_path / "scratch")}
    assert sorted(entries) == ["Jane Doe_5071", "John Smith_5072", "María García_5073"]
    assert sorted(p.name for p in entries["María García_5073"].path.iterdir()) == ["conv.py", "onlinetext.html"]
    flat = write(tmp_path / "files", {"Jane Doe_5071_assignsubmission_file_conv.py": CORRECT,
                                      "Jane Doe_5071_assignsubmission_file_helpers.py": "X = 1\n"})
    [entry] = discover(flat, tmp_path / "scratch")
    assert entry.student_id == "Jane Doe_5071"
    assert sorted(p.name for p in entry.path.iterdir()) == ["conv.py", "helpers.py"]


def test_the_output_folder_inside_a_download_does_not_hide_the_layout(tmp_path: Path) -> None:
    download = canvas_download(tmp_path / "download")
    (download / "graded").mkdir()
    (tmp_path / "scratch").mkdir()
    entries = discover(download, tmp_path / "scratch", out=download / "graded")
    assert [e.student_id for e in entries] == ["doejane_12345", "garcíamaría_12347", "nguyentran_12348",
                                               "smithjohn_12346"]


def test_a_folder_that_is_not_all_one_lms_download_keeps_its_plain_ids(tmp_path: Path) -> None:
    folder = write(tmp_path / "mixed", {"doejane_12345_67890_conv.py": CORRECT, "alice.py": CORRECT})
    (tmp_path / "scratch").mkdir()
    assert [e.student_id for e in discover(folder, tmp_path / "scratch")] == ["alice", "doejane_12345_67890_conv"]


@pytest.mark.slow
def test_a_canvas_download_round_trips_to_the_gradebook_export_rows(tmp_path: Path, pool, capsys) -> None:
    records = run_batch("conv", canvas_download(tmp_path / "download"), tmp_path / "graded", Settings("quick"),
                        executor=pool, stream=io.StringIO())
    assert {r.student_id: r.status for r in records} == {
        "doejane_12345": "passed", "smithjohn_12346": "did not load", "garcíamaría_12347": "failed",
        "nguyentran_12348": "did not load"}
    assert main(["export", "canvas", str(tmp_path / "graded"), "--roster", str(LMS / "canvas-gradebook-export.csv"),
                 "--name", "Convolution (HW 1)"]) == 0
    written = rows(tmp_path / "graded" / "canvas.csv")
    assert written[0][5] == "Convolution (HW 1) (88231)"
    assert [(row[3], row[5]) for row in written[2:]] == [
        ("jdoe", "14.5"), ("JSmith", "0"), ("mgarcia", "0"), ("tnguyen", "0"),
        ("b2f6e31c9a7d4c1e8f0a5d3b6c9e2f71", "")]  # Canvas's test student handed nothing in
    err = capsys.readouterr().err
    assert "matched to no roster row" not in err
    assert "without a graded submission (left blank): b2f6e31c9a7d4c1e8f0a5d3b6c9e2f71" in err


@pytest.mark.slow
def test_a_moodle_download_round_trips_to_the_users_usernames(tmp_path: Path, pool, capsys) -> None:
    run_batch("conv", moodle_download(tmp_path / "download"), tmp_path / "graded", Settings("quick"), executor=pool,
              stream=io.StringIO())
    assert main(["export", "moodle", str(tmp_path / "graded"), "--roster", str(LMS / "moodle-users.csv"),
                 "--name", "Convolution (HW 1)"]) == 0
    assert rows(tmp_path / "graded" / "moodle.csv") == [
        ["username", "Convolution (HW 1)"], ["jdoe", "14.5"], ["jsmith", "0"], ["mgarcia", "0"]]
    err = capsys.readouterr().err
    assert "matched to no roster row" not in err and "without a graded submission (left blank): tnguyen" in err
