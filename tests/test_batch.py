"""`grader batch`: discovery (zips, duplicates), durable records, resuming, the gradebook and the summary."""

from __future__ import annotations

import concurrent.futures
import csv
import json
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest
from markupsafe import escape

from conftest import SUBMISSIONS, as_notebook, shared
from grader.batch import job as job_module
from grader.batch.discover import MAX_ZIP_MEMBERS, discover
from grader.batch.executor import LocalExecutor
from grader.batch.records import read_record
from grader.batch.run import run_batch
from grader.cli import main
from grader.suites import get_suite

POOL = SUBMISSIONS / "pool"
IDS = ["alice", "bob", "carol", "dave", "erin", "frank", "ivan"]
OUTCOMES = {"alice": "student_error", "bob": "graded", "carol": "graded", "dave": "graded", "erin": "graded",
            "frank": "student_error", "ivan": "graded"}


class Counting:
    """An executor that remembers which ids it was asked to grade, around another executor."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.ids = inner, []

    def submit(self, job: Callable[[], Any]) -> concurrent.futures.Future:
        self.ids.append(job.entry.student_id)
        return self.inner.submit(job)

    def close(self, cancel: bool = False) -> None:
        self.inner.close(cancel)


def make_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def build_class(folder: Path) -> Path:
    """One submission of each kind, plus a syntax error, a corrupt zip, a duplicate id and a known mistake."""
    folder.mkdir()
    correct = POOL / "correct_loops.py"
    shutil.copy(correct, folder / "alice.py")
    make_zip(folder / "alice.zip", {"pool.py": correct.read_text()})
    as_notebook(correct, folder / "bob.ipynb")
    make_zip(folder / "carol.zip", {"carol/pool.py": correct.read_text(), "__MACOSX/carol/._pool.py": "x"})
    (folder / "dave").mkdir()
    shutil.copy(POOL / "correct_vectorised.py", folder / "dave" / "pool.py")
    (folder / "erin.py").write_text("def max_pool_forward(x, pool_param):\n    return (\n")
    (folder / "frank.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    mistake = POOL / "mistakes" / "avg_backward_not_divided.py"
    (folder / "ivan.py").write_text(correct.read_text() + "\n\n" + mistake.read_text())
    (folder / ".DS_Store").write_text("ignored")
    return folder


@pytest.fixture(scope="module")
def executor():
    with LocalExecutor(2) as pool:
        yield pool


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, executor: LocalExecutor) -> tuple[Path, Path, list[str]]:
    """The class graded once: (submissions, out, ids submitted)."""
    root = tmp_path_factory.mktemp("batch")
    submissions, out = build_class(root / "submissions"), root / "out"
    counting = Counting(executor)
    run_batch("pool", submissions, out, profile="quick", executor=counting)
    return submissions, out, counting.ids


def gradebook(out: Path) -> list[list[str]]:
    return list(csv.reader((out / "gradebook.csv").read_text().splitlines()))


def test_every_id_has_one_record_with_its_outcome(graded: tuple[Path, Path, list[str]]) -> None:
    _, out, submitted = graded
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == IDS
    assert {sid: read_record(out, sid).outcome for sid in IDS} == OUTCOMES
    assert sorted(submitted) == IDS
    assert "alice.py and alice.zip" in read_record(out, "alice").message
    assert "frank.zip is not a readable zip" in read_record(out, "frank").message
    assert read_record(out, "bob").score == read_record(out, "bob").max_score == 10


def test_gradebook_has_one_row_per_student_and_a_column_per_check(graded: tuple[Path, Path, list[str]]) -> None:
    _, out, _ = graded
    rows = gradebook(out)
    checks = [check.name for check in get_suite("pool").checks]
    assert rows[0] == ["id", "total", "max", "outcome", *checks]
    assert [row[0] for row in rows[1:]] == IDS
    assert {row[0]: (row[1], row[3]) for row in rows[1:]} == {
        "alice": ("0", "student_error"), "bob": ("10", "graded"), "carol": ("10", "graded"),
        "dave": ("10", "graded"), "erin": ("0", "graded"), "frank": ("0", "student_error"), "ivan": ("8", "graded")}


def test_results_are_valid_gradescope_json_and_reports_exist(graded: tuple[Path, Path, list[str]]) -> None:
    _, out, _ = graded
    schema = json.loads(shared("schemas/gradescope_results.schema.json").read_text())
    for sid in IDS:
        jsonschema.validate(json.loads((out / sid / "results.json").read_text()), schema)
        assert (out / sid / "report.html").read_text().startswith("<!DOCTYPE html>")
        assert (out / sid / "report.md").stat().st_size > 0
    summary = (out / "summary.html").read_text()
    diagnoses = [t["extra_data"]["diagnosis"] for t in json.loads((out / "ivan" / "results.json").read_text())["tests"]]
    assert any(diagnoses) and all(str(escape(d)) in summary for d in diagnoses if d)
    assert "5 graded" in summary and "2 student errors" in summary and "frank.zip is not a readable zip" in summary


def test_rerun_skips_done_work_and_regrades_only_what_changed(graded: tuple[Path, Path, list[str]],
                                                               executor: LocalExecutor, tmp_path: Path) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded[0], submissions)
    shutil.copytree(graded[1], out)
    before = (out / "gradebook.csv").read_bytes()

    def rerun() -> list[str]:
        counting = Counting(executor)
        run_batch("pool", submissions, out, profile="quick", executor=counting)
        return counting.ids

    assert rerun() == []
    assert (out / "gradebook.csv").read_bytes() == before
    (submissions / "erin.py").write_text("")
    assert rerun() == ["erin"]
    (out / "bob" / "record.json").unlink()
    assert rerun() == ["bob"]
    assert read_record(out, "bob").outcome == "graded"


def test_unsafe_zips_are_refused_with_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    make_zip(folder / "slip.zip", {"../../evil.py": "x = 1"})
    make_zip(folder / "rooted.zip", {"/etc/evil.py": "x = 1"})
    make_zip(folder / "many.zip", {f"f{i}.py": "" for i in range(MAX_ZIP_MEMBERS + 1)})
    with zipfile.ZipFile(folder / "link.zip", "w") as archive:
        info = zipfile.ZipInfo("pool.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    (tmp_path / "scratch").mkdir()
    problems = {e.student_id: e.problem for e in discover(folder, tmp_path / "scratch")}
    assert "outside its folder" in problems["slip"] and "outside its folder" in problems["rooted"]
    assert f"more than {MAX_ZIP_MEMBERS}" in problems["many"]
    assert "symbolic link" in problems["link"]
    assert not (tmp_path / "evil.py").exists() and not list((tmp_path / "scratch").rglob("evil.py"))


def test_a_grader_fault_is_retried_once_then_recorded_as_an_error(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(job_module, "grade_submission", broken)
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(POOL / "correct_loops.py", folder / "gus.py")
    with concurrent.futures.ThreadPoolExecutor(1) as threads:
        counting = Counting(threads)
        [record] = run_batch("pool", folder, tmp_path / "out", profile="quick", executor=counting)
    assert counting.ids == ["gus", "gus"]
    assert record.outcome == "grader_error" and "RuntimeError: the grader broke" in record.message
    assert gradebook(tmp_path / "out")[1][:4] == ["gus", "", "", "grader_error"]


def test_cli_batch_exit_codes(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["batch", "pool", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert usage.value.code == 2
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "frank.zip").write_bytes(b"not a zip")
    command = ["batch", "pool", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1", "--profile", "quick"]
    assert main(command) == 0
    assert gradebook(tmp_path / "out")[1][3] == "student_error"
