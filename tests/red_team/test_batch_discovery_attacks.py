"""Attacks on batch discovery: no entry of the submissions folder can stop, hang or exhaust a batch. Each broken
entry becomes that student's error, with a row in the gradebook and a sentence saying what to do; the others are
graded."""

from __future__ import annotations

import csv
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.batch.records import Record
from grader.status import Status
from grader.batch.run import run_batch
from grader.settings import Settings
from red_team.attacking import FIXTURES
from red_team.test_batch_attacks import InlineExecutor

CORRECT = FIXTURES / "params" / "correct_loops.py"


def grade_class(tmp_path: Path, build) -> dict[str, Record]:
    """Build a class with ``build(folder)`` beside a correct student 'ok', grade it inline; every student's record
    (each has a gradebook row)."""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(CORRECT, submissions / "ok.py")
    build(submissions)
    records = {r.student_id: r for r in run_batch("params", submissions, tmp_path / "out", settings=Settings("quick"),
                                                  executor=InlineExecutor())}
    assert records["ok"].status == Status.PASSED
    with (tmp_path / "out" / "gradebook.csv").open(newline="") as handle:
        assert {row["id"] for row in csv.DictReader(handle)} == set(records)
    return records


def zipped(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("members", [
    {".": b"", "params.py": CORRECT.read_bytes()},
    {"a": b"x", "a/params.py": CORRECT.read_bytes()},
    {"x" * 300 + ".py": b"print(1)", "params.py": CORRECT.read_bytes()},
], ids=["member named dot", "file beside folder of the same name", "name of 300 characters"])
def test_a_zip_that_cannot_be_unpacked_is_its_students_error(tmp_path: Path, members: dict[str, bytes]) -> None:
    records = grade_class(tmp_path, lambda folder: zipped(folder / "zed.zip", members))
    assert records["zed"].status == Status.DID_NOT_LOAD and "zip your folder again" in records["zed"].message


def test_a_fifo_in_a_folder_submission_does_not_hang_the_batch(tmp_path: Path) -> None:
    def build(folder: Path) -> None:
        (folder / "fay").mkdir()
        shutil.copy(CORRECT, folder / "fay" / "params.py")
        os.mkfifo(folder / "fay" / "notes")
        os.mkfifo(folder / "fifo.py")

    records = grade_class(tmp_path, build)
    assert "a pipe, socket or device" in records["fay"].message
    assert "not a regular file" in records["fifo"].message


def test_a_huge_sparse_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    def build(folder: Path) -> None:
        (folder / "sid").mkdir()
        shutil.copy(CORRECT, folder / "sid" / "params.py")
        with (folder / "sid" / "data.bin").open("wb") as handle:
            handle.truncate(12 * 1024**3)

    records = grade_class(tmp_path, build)
    assert records["sid"].status == Status.DID_NOT_LOAD and "MB; hand in only your code" in records["sid"].message


def test_hidden_and_dot_only_names_get_a_row_that_says_why(tmp_path: Path) -> None:
    def build(folder: Path) -> None:
        shutil.copy(CORRECT, folder / ".hidden.py")
        shutil.copy(CORRECT, folder / "..py")

    records = grade_class(tmp_path, build)
    assert {".hidden", "."} <= set(records)
    assert all(records[i].status == Status.DID_NOT_LOAD and "begins with a dot" in records[i].message
               for i in (".hidden", "."))
    assert not (tmp_path / "out" / "results.json").exists()


def test_nfc_and_nfd_spellings_of_one_name_are_one_student_with_two_submissions(tmp_path: Path) -> None:
    def build(folder: Path) -> None:
        shutil.copy(CORRECT, folder / "jos\u00e9.py")
        shutil.copy(CORRECT, folder / "jose\u0301.py")

    records = grade_class(tmp_path, build)
    clash = [record for name, record in records.items() if name.startswith("jos")]
    assert len(clash) == 1 and "several submissions" in clash[0].message
