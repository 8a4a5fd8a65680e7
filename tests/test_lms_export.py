"""Grades in the import format of Canvas and Moodle, mapped through a roster.

Canvas's gradebook import reads the columns Student, ID, SIS User ID, SIS Login ID and Section, then one column
per assignment, and an optional second row "Points Possible" (Instructure's guide "How do I import grades in the
Gradebook?"); its gradebook export, which a course uses as the roster, has the same identity columns and that row.
Moodle's CSV grade import reads a header row, a column matched to a user field, and one column per grade item.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader.batch.gradebook import write_gradebook
from grader.batch.records import Record
from grader.cli import main

ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (1201),Current Score
    Points Possible,,,,,10,(read only)
"Lovelace, Ada",101,S-1,ada,Section A,9,90
"Turing, Alan",102,S-2,alan,Section A,10,100
"Hopper, Grace",103,S-3,grace,Section B,,
"Noether, Emmy",104,S-4,emmy,Section B,8,80
"""


@pytest.fixture
def batch_out(tmp_path: Path) -> Path:
    """A batch's output folder: three graded ids (one not in the roster), one that did not load and a grader
    error."""
    out = tmp_path / "out"
    out.mkdir()
    records = [Record("ada", "k", "passed", 14.5, 14.5, {"a": 14.5}), Record("alan", "k", "failed", 3, 14.5, {"a": 3}),
               Record("grace", "k", "did not load", 0, 14.5, {"a": 0}), Record("emmy", "k", "grader error"),
               Record("mallory", "k", "passed", 14.5, 14.5, {"a": 14.5})]
    write_gradebook(out, ["a"], records)
    return out


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))


def test_canvas_export_has_the_import_formats_columns_and_points_possible(batch_out: Path, tmp_path: Path,
                                                                         capsys) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    assert main(["export", "canvas", str(batch_out), "--roster", str(tmp_path / "roster.csv"),
                 "--name", "Convolution (grader)"]) == 0
    written = rows(batch_out / "canvas.csv")
    assert written[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Convolution (grader)"]
    assert written[1] == ["Points Possible", "", "", "", "", "14.5"]
    assert written[2:] == [["Lovelace, Ada", "101", "S-1", "ada", "Section A", "14.5"],
                           ["Turing, Alan", "102", "S-2", "alan", "Section A", "3"],
                           ["Hopper, Grace", "103", "S-3", "grace", "Section B", "0"],
                           ["Noether, Emmy", "104", "S-4", "emmy", "Section B", ""]]  # a grader error stays blank
    err = capsys.readouterr().err
    assert "matched to no roster row (not exported; ids are matched to the roster's 'SIS Login ID' column" in err
    assert "  mallory: no roster row is close to it in 'SIS Login ID'; is this the course's roster?" in err


def test_moodle_export_has_one_identity_column_and_the_grade_item(batch_out: Path, tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("Username,Email address\nada,ada@example.org\nalan,alan@example.org\n")
    assert main(["export", "moodle", str(batch_out), "--roster", str(tmp_path / "users.csv"), "--name", "HW1"]) == 0
    assert rows(batch_out / "moodle.csv") == [["Username", "HW1"], ["ada", "14.5"], ["alan", "3"]]


def test_a_roster_without_the_identity_columns_is_a_usage_error(batch_out: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "roster.csv").write_text("name,email\nAda,ada@example.org\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "canvas", str(batch_out), "--roster", str(tmp_path / "roster.csv"), "--name", "HW1"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "has no column 'Student', 'ID'" in err and "Grades > Export" in err


CANVAS_ROSTER = Path(__file__).parent / "fixtures" / "lms" / "canvas-gradebook-export.csv"


def gradebook_of(folder: Path, scores: dict[str, float]) -> Path:
    """A batch's output folder whose gradebook gives each id its score out of 14.5."""
    folder.mkdir()
    write_gradebook(folder, ["a"], [Record(sid, "k", "passed" if score == 14.5 else "failed", score, 14.5, {"a": score})
                                    for sid, score in scores.items()])
    return folder


def export_canvas(out: Path, *options: str) -> int:
    return main(["export", "canvas", str(out), "--roster", str(CANVAS_ROSTER), *options])


def test_ids_differing_only_in_case_or_spaces_match_and_every_other_id_gets_a_did_you_mean(tmp_path: Path,
                                                                                        capsys) -> None:
    decomposed = "garci\u0301amari\u0301a_12347"  # García's Canvas key as macOS spells a file name
    out = gradebook_of(tmp_path / "out", {"JDOE": 14.5, "jsmith": 3, "jdoe2": 1, "tnguyen  ": 2, "zq": 0,
                                          decomposed: 5, "garciamaria_12347": 4})
    assert export_canvas(out, "--name", "Convolution (HW 1)") == 0
    assert [(row[3], row[5]) for row in rows(out / "canvas.csv")[2:]] == [
        ("jdoe", "14.5"), ("JSmith", "3"), ("mgarcia", "5"), ("tnguyen", "2"), ("b2f6e31c9a7d4c1e8f0a5d3b6c9e2f71", "")]
    err = capsys.readouterr().err
    assert "  jdoe2: did you mean jdoe (Doe, Jane)?" in err
    assert "  garciamaria_12347: did you mean mgarcia (García, María)?" in err  # a name Canvas would not write
    assert "  zq: no roster row is close to it in 'SIS Login ID'; is this the course's roster?" in err


def test_the_canvas_column_reuses_the_rosters_header_with_its_assignment_id(tmp_path: Path, capsys) -> None:
    out = gradebook_of(tmp_path / "out", {"jdoe": 14.5})
    assert export_canvas(out, "--name", "convolution  (HW 1)") == 0
    assert rows(out / "canvas.csv")[0][5] == "Convolution (HW 1) (88231)"
    assert ("note: 'Convolution (HW 1) (88231)' is worth 10.00 points in Canvas, but the grader's maximum is 14.5"
            in capsys.readouterr().err)
    assert export_canvas(out, "--name", "Convolution (HW 1) (88231)") == 0
    assert rows(out / "canvas.csv")[0][5] == "Convolution (HW 1) (88231)"


def test_a_name_the_roster_lacks_makes_a_new_assignment_and_says_so(tmp_path: Path, capsys) -> None:
    out = gradebook_of(tmp_path / "out", {"jdoe": 14.5})
    assert export_canvas(out, "--name", "Convolution (HW 3)") == 0
    assert rows(out / "canvas.csv")[0][5] == "Convolution (HW 3)"
    assert "Canvas will create a new assignment of that name" in capsys.readouterr().err


def test_a_name_that_fits_several_assignments_is_a_usage_error_naming_them(tmp_path: Path, capsys) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_ROSTER.read_text().replace("Pooling (HW 2) (88232)", "Convolution (HW 1) (90417)"))
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "canvas", str(gradebook_of(tmp_path / "out", {"jdoe": 1})), "--roster", str(roster),
              "--name", "Convolution (HW 1)"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "fits several of the roster's assignments ('Convolution (HW 1) (88231)', 'Convolution (HW 1) (90417)')" in err
