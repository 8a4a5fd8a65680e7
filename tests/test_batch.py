"""`grader batch`: discovery (zips, duplicates), durable records, resuming, the gradebook and the summary."""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import fcntl
import io
import json
import os
import pty
import re
import select
import shutil
import stat
import struct
import termios
import threading
import zipfile
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, TextIO

import jsonschema
import pytest
from markupsafe import escape

from conftest import SUBMISSIONS, as_notebook, shared

from grader.batch import job as job_module
from grader.batch.discover import MAX_ZIP_MEMBERS, Entry, discover
from grader.batch.executor import LocalExecutor
from grader.batch.gradebook import write_gradebook
from grader.batch.job import GradeJob
from grader.batch.layout import spreadsheet_cell, student_folder
from grader.batch.records import Record, is_done, read_record, write_record
from grader.batch.run import Progress, run_all, run_batch, warn_below_strict
from grader.cli import main
from grader.settings import Settings
from grader.suites import get_suite

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

POOL = SUBMISSIONS / "pool"
IDS = ["alice", "bob", "carol", "dave", "erin", "frank", "ivan"]
STATUSES = {"alice": "did not load", "bob": "passed", "carol": "passed", "dave": "passed", "erin": "did not load",
            "frank": "did not load", "ivan": "failed"}


class Counting:
    """An executor that remembers which ids it was asked to grade, around another executor."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.ids = inner, []
        self.workers = getattr(inner, "workers", None)

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


POOL_POINTS = sum(check.points for check in get_suite("pool").checks)


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


def test_workers_start_with_torch_imported_by_the_forkserver_that_forks_them(executor: LocalExecutor) -> None:
    forkserver = executor.submit(os.getppid).result()
    assert forkserver != os.getpid() and "libtorch_cpu" in Path(f"/proc/{forkserver}/maps").read_text()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, executor: LocalExecutor) -> tuple[Path, Path, list[str]]:
    """The class graded once: (submissions, out, ids submitted)."""
    root = tmp_path_factory.mktemp("batch")
    submissions, out = build_class(root / "submissions"), root / "out"
    counting = Counting(executor)
    run_batch("pool", submissions, out, settings=Settings("quick"), executor=counting)
    return submissions, out, counting.ids


def gradebook(out: Path) -> list[list[str]]:
    return list(csv.reader((out / "gradebook.csv").read_text().splitlines()))


def test_every_id_has_one_record_with_its_status(graded: tuple[Path, Path, list[str]]) -> None:
    _, out, submitted = graded
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == IDS
    assert {sid: read_record(out, sid).status for sid in IDS} == STATUSES
    assert sorted(submitted) == IDS
    assert "alice.py and alice.zip" in read_record(out, "alice").message
    assert "frank.zip is not a readable zip" in read_record(out, "frank").message
    assert read_record(out, "bob").score == read_record(out, "bob").max_score == POOL_POINTS


def test_gradebook_has_one_row_per_student_and_a_column_per_check(graded: tuple[Path, Path, list[str]]) -> None:
    _, out, _ = graded
    rows = gradebook(out)
    checks, full = [check.name for check in get_suite("pool").checks], f"{POOL_POINTS:g}"
    assert rows[0] == ["id", "total", "max", "status", "what happened", "report", *checks]
    assert [row[0] for row in rows[1:]] == IDS
    assert {row[0]: (row[1], row[3]) for row in rows[1:]} == {
        "alice": ("0", "did not load"), "bob": (full, "passed"), "carol": (full, "passed"),
        "dave": (full, "passed"), "erin": ("0", "did not load"), "frank": ("0", "did not load"),
        # avg_pool_backward wrong: its value check (2 points) and its dtype check (not graded) earn nothing
        "ivan": (f"{POOL_POINTS - 2.5:g}", "failed")}


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
    headline = re.search(r'<p class="headline">(.*?)</p>', summary, re.DOTALL).group(1)
    assert " ".join(re.sub(r"<[^>]*>", "", headline).split()) == "7 submissions: 3 passed, 1 failed, 3 did not load."
    assert "frank.zip is not a readable zip" in summary


def test_a_zip_submissions_reports_name_the_zip_handed_in_not_where_it_was_unpacked(
        graded: tuple[Path, Path, list[str]]) -> None:
    submissions, out, _ = graded
    handed_in = f"{submissions / 'carol.zip'} (pool.py)"
    results = json.loads((out / "carol" / "results.json").read_text())
    assert results["extra_data"]["submission"] == handed_in
    assert f"Submission: `{handed_in}`" in (out / "carol" / "report.md").read_text()
    assert f"<code>{handed_in}</code>" in (out / "carol" / "report.html").read_text()


def test_a_report_names_the_file_of_an_lms_download_it_came_from_and_a_plain_file_as_given(tmp_path: Path) -> None:
    downloads, gathered = Path("submissions"), tmp_path / ".unpacked-1-x" / "doejane_12345"
    handed_in = (downloads / "doejane_12345_901_notes.txt", downloads / "doejane_LATE_12345_902_conv.py")
    assert job_module.as_handed_in(Entry("doejane_12345", gathered, None, handed_in), gathered / "conv.py") == (
        "submissions/doejane_LATE_12345_902_conv.py (conv.py)")
    plain = downloads / "alice.py"
    assert job_module.as_handed_in(Entry("alice", plain, None, (plain,)), plain) == "submissions/alice.py"


def test_the_shared_outputs_have_the_permissions_the_users_umask_gives(graded: tuple[Path, Path, list[str]],
                                                                        tmp_path: Path) -> None:
    _, out, _ = graded
    (tmp_path / "plain").write_text("")
    expected = stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    shared_files = [out / "gradebook.csv", out / "summary.html",
                    *(out / "carol" / name for name in ("results.json", "report.html", "report.md"))]
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in shared_files} == {
        path.name: expected for path in shared_files}


def test_rerun_skips_done_work_and_regrades_only_what_changed(graded: tuple[Path, Path, list[str]],
                                                               executor: LocalExecutor, tmp_path: Path) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded[0], submissions)
    shutil.copytree(graded[1], out)
    before = (out / "gradebook.csv").read_bytes()

    def rerun() -> list[str]:
        counting = Counting(executor)
        run_batch("pool", submissions, out, settings=Settings("quick"), executor=counting, stream=log)
        return counting.ids

    log = io.StringIO()
    assert rerun() == []
    assert "7/7" in log.getvalue() and "skipped 7, did not load 0, grader error 0" in log.getvalue()
    assert (out / "gradebook.csv").read_bytes() == before
    (submissions / "erin.py").write_text("")
    assert rerun() == ["erin"]
    (out / "bob" / "record.json").unlink()
    assert rerun() == ["bob"]
    assert read_record(out, "bob").status == "passed"


def old_record(out: Path, student_id: str, outcome: str, happened: str, score: float | None = 1.0,
               statuses: tuple[str, ...] = ()) -> None:
    """A record.json as a grader before statuses wrote it (outcome and happened), beside the results.json whose
    checks ended in ``statuses``."""
    fields = {"student_id": student_id, "key": "k", "outcome": outcome, "score": score, "max_score": 2.0,
              "checks": {}, "message": "", "seconds": 1.0, "sandbox": "strict (...)", "happened": happened}
    (out / student_id).mkdir(parents=True)
    (out / student_id / "record.json").write_text(json.dumps(fields))
    tests = [{"name": "c", "tags": ["f"], "extra_data": {"status": status}} for status in statuses]
    (out / student_id / "results.json").write_text(json.dumps({"score": score, "tests": tests}))


def test_records_written_before_statuses_load_with_a_status_and_still_count_as_done(tmp_path: Path) -> None:
    old_record(tmp_path, "ann", "graded", "graded", 2.0, ("passed", "not gradable here"))
    old_record(tmp_path, "bea", "graded", "graded", 1.0, ("passed", "not graded"))
    old_record(tmp_path, "cy", "graded", "graded", 1.0, ("passed", "failed", "not graded"))
    old_record(tmp_path, "dan", "graded", "timed out in conv_forward", 0.0)
    old_record(tmp_path, "eve", "graded", "used up its time budget", 0.0)
    old_record(tmp_path, "fay", "graded", "crashed in zero_pad", 0.0)
    old_record(tmp_path, "gus", "graded", "did not load", 0.0)
    old_record(tmp_path, "hal", "student_error", "", 0.0)
    old_record(tmp_path, "ida", "grader_error", "", None)
    old_record(tmp_path, "jo", "graded", "", 1.0)  # before `happened`, and its results.json unreadable
    (tmp_path / "jo" / "results.json").write_text("{")
    records = {sid: read_record(tmp_path, sid) for sid in ("ann", "bea", "cy", "dan", "eve", "fay", "gus", "hal",
                                                           "ida", "jo")}
    assert {sid: record.what_happened for sid, record in records.items()} == {
        "ann": "passed", "bea": "not graded", "cy": "failed", "dan": "timed out in conv_forward",
        "eve": "timed out after using up its time budget", "fay": "crashed in zero_pad", "gus": "did not load",
        "hal": "did not load", "ida": "grader error", "jo": "failed"}
    assert records["hal"].sandbox == "" and records["gus"].sandbox == "strict (...)"
    assert [sid for sid in records if not is_done(tmp_path, sid, "k")] == ["ida"]  # only a grader error is redone
    write_gradebook(tmp_path, [], list(records.values()))
    assert [row[3] for row in gradebook(tmp_path)[1:]] == [
        "passed", "not graded", "failed", "timed out", "timed out", "crashed", "did not load", "did not load",
        "grader error", "failed"]


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
        [record] = run_batch("pool", folder, tmp_path / "out", settings=Settings("quick"), executor=counting)
    assert counting.ids == ["gus", "gus"]
    assert record.status == "grader error" and "RuntimeError: the grader broke" in record.message
    assert gradebook(tmp_path / "out")[1][:4] == ["gus", "", "", "grader error"]


def test_cli_batch_exit_codes(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["batch", "pool", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert usage.value.code == 2
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "frank.zip").write_bytes(b"not a zip")
    command = ["batch", "pool", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1", "--profile", "quick"]
    assert main(command) == 0
    assert gradebook(tmp_path / "out")[1][3] == "did not load"


def pseudo_terminal(columns: int) -> tuple[int, TextIO]:
    """A real terminal (a pty) of `columns` columns: the fd to read what was written, and the stream to write to."""
    reader, writer = pty.openpty()
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    return reader, open(writer, "w", encoding="utf-8")


def read_all(reader: int) -> str:
    """Everything written to the pty so far (it may come in several reads)."""
    data = b""
    while select.select([reader], [], [], 0.5)[0]:
        data += os.read(reader, 65536)
    os.close(reader)
    return data.decode()


def show_progress(stream: TextIO) -> None:
    """Six submissions, two skipped, four finished: passed, did not load, failed, grader error."""
    progress = Progress(6, stream, skipped=2)
    for sid, status in zip("abcd", ["passed", "did not load", "failed", "grader error"]):
        progress.add(Record(sid, "key", status))
    progress.finish()
    stream.flush()


def test_progress_redraws_one_line_in_a_terminal() -> None:
    reader, terminal = pseudo_terminal(100)
    with terminal:
        show_progress(terminal)
        text = read_all(reader)
    assert "\r" in text and "6/6" in text and "skipped 2, did not load 1, grader error 1" in text


@pytest.mark.parametrize("kind", ["log", "terminal without a width"])
def test_progress_prints_whole_lines_in_a_log_or_a_terminal_without_a_width(kind: str) -> None:
    if kind == "log":
        log = io.StringIO()
        show_progress(log)
        text = log.getvalue()
    else:
        reader, terminal = pseudo_terminal(0)
        with terminal:
            show_progress(terminal)
            text = read_all(reader).replace("\r\n", "\n")
    lines = text.splitlines()
    assert "\r" not in text and len(lines) == 2, "a quick run logs its first and last lines only"
    assert lines[0].startswith("grading:") and "2/6" in lines[0]
    assert "6/6" in lines[1] and "skipped 2, did not load 1, grader error 1" in lines[1]


def build_odd_ids(folder: Path) -> Path:
    """Entries whose ids clash with the batch's outputs or are unsafe folder names, and ids a spreadsheet would run."""
    folder.mkdir()
    for name in ("Gradebook.CSV.py", "unsafe-ids.py", "bob\nsmith.py", "-rf.py", "a:b.py",
                 " pad.py", "eve.py", "EVE.ipynb", "=1+2.py", "@alice.py", "+bob.py"):
        (folder / name).write_text("x = 1\n")
    (folder / "summary.html").mkdir()
    (folder / "summary.html" / "pool.py").write_text("x = 1\n")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.py"), "w") as handle:
        handle.write("x = 1\n")
    return folder


def test_unsafe_and_clashing_ids_did_not_load_and_say_what_to_rename(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        records = run_batch("pool", build_odd_ids(tmp_path / "submissions"), out, settings=Settings("quick"),
                            executor=Counting(threads), stream=io.StringIO())
    by_id = {r.student_id: r for r in records}
    unsafe = ["-rf", "Gradebook.CSV", "a:b", "bob\\nsmith", "caf\\udce9", "summary.html", "unsafe-ids", " pad"]
    assert sorted(by_id) == sorted(unsafe + ["+bob", "=1+2", "@alice", "EVE"])
    for sid in unsafe:
        assert by_id[sid].status == "did not load" and "rename that entry" in by_id[sid].message, sid
        assert student_folder(out, sid).parent == out / "unsafe-ids"
        assert (student_folder(out, sid) / "results.json").is_file() and read_record(out, sid) == by_id[sid]
    assert "clashes with the batch's own gradebook.csv" in by_id["Gradebook.CSV"].message
    assert "clashes with the batch's own summary.html" in by_id["summary.html"].message
    assert "control character (U+000A)" in by_id["bob\\nsmith"].message
    assert "a byte that is not UTF-8 (0xE9" in by_id["caf\\udce9"].message
    assert "several submissions for EVE (EVE.ipynb and eve.py)" in by_id["EVE"].message
    assert {by_id[sid].status for sid in ("+bob", "=1+2", "@alice")} == {"failed"}
    assert sorted(p.name for p in out.iterdir()) == ["+bob", "=1+2", "@alice", "EVE", "gradebook.csv",
                                                     "summary.html", "unsafe-ids"]
    assert (out / "gradebook.csv").is_file() and (out / "summary.html").is_file()
    ids = [row[0] for row in gradebook(out)[1:]]
    assert "'=1+2" in ids and "'@alice" in ids and "'+bob" in ids and "'-rf" in ids and "=1+2" not in ids


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for text in ("=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"):
        assert spreadsheet_cell(text) == "'" + text
    assert spreadsheet_cell("alice") == "alice" and spreadsheet_cell("a=b") == "a=b"


class BreakingPool:
    """A stand-in for a pool of two workers: jobs submitted together finish together 50 ms later, and a round that
    holds the culprit's job breaks (`breaks` times at most), as a worker's death breaks a process pool."""

    workers = 2

    def __init__(self, culprit: str, breaks: int) -> None:
        self.culprit, self.breaks, self.round, self.rounds = culprit, breaks, [], []
        self.lock = threading.Lock()

    def submit(self, job: GradeJob) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self.lock:
            if not self.round:
                threading.Timer(0.05, self.finish).start()
            self.round.append((job, future))
        return future

    def finish(self) -> None:
        with self.lock:
            finished, self.round = self.round, []
        ids = [job.entry.student_id for job, _ in finished]
        self.rounds.append(ids)
        broken = self.culprit in ids and self.breaks > 0
        self.breaks -= broken
        for job, future in finished:
            if broken:
                future.set_exception(BrokenProcessPool("a process in the pool was terminated abruptly"))
            else:
                record = Record(job.entry.student_id, job.key, "passed", 1.0, 1.0)
                write_record(job.out, record)  # as a job does: the batch counts the record OUT holds
                future.set_result(record)


@pytest.mark.parametrize("breaks", [1, 2])
def test_jobs_in_flight_when_a_worker_dies_run_again_alone(tmp_path: Path, breaks: int) -> None:
    jobs = [GradeJob("params", Entry(sid, tmp_path / f"{sid}.py"), tmp_path, "key", Settings("quick", seed=0))
            for sid in ("aaron", "bea", "cy", "dan")]
    pool, finished = BreakingPool("aaron", breaks), []
    progress = Progress(len(jobs), io.StringIO())
    progress.add = finished.append
    run_all(pool, jobs, progress)
    assert pool.rounds == [["aaron", "bea"], ["aaron"], ["bea"], ["cy", "dan"]], "suspects run alone, once more"
    statuses = {record.student_id: record.status for record in finished}
    assert statuses == {"aaron": "passed" if breaks == 1 else "grader error", "bea": "passed", "cy": "passed",
                        "dan": "passed"}
    if breaks == 2:
        assert "worker process grading aaron died twice" in read_record(tmp_path, "aaron").message


def test_each_record_names_its_sandbox_level(graded: tuple[Path, Path, list[str]]) -> None:
    _, out, _ = graded
    assert read_record(out, "bob").sandbox.startswith(("strict", "landlock", "process"))


def test_a_batch_below_the_strict_sandbox_warns_loudly() -> None:
    stream = io.StringIO()
    weaker = "landlock (Landlock ABI 7, not isolated further (unshare: Operation not permitted))"
    warn_below_strict([Record("a", "", "passed", sandbox="strict (...)"), Record("b", "", "failed", sandbox=weaker),
                       Record("c", "", "did not load", sandbox=weaker), Record("d", "", "did not load")], stream)
    assert stream.getvalue().splitlines() == [
        f"WARNING: 2 submission(s) ran without the strict sandbox, at level {weaker}: they could reach more of this "
        "machine (see README, Security). Grade untrusted code on a Linux machine with Landlock and namespaces, or "
        "inside a throwaway VM or container."]


def test_a_submission_that_never_started_is_not_warned_about_as_a_sandbox_level(tmp_path: Path) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "nora.ipynb").write_text("{ this is not a notebook")
    stream = io.StringIO()
    with concurrent.futures.ThreadPoolExecutor(1) as threads:
        [record] = run_batch("pool", folder, tmp_path / "out", settings=Settings("quick"), executor=Counting(threads),
                             stream=stream)
    assert record.status == "did not load" and record.sandbox == ""
    assert "WARNING" not in stream.getvalue() and "not started" not in stream.getvalue()
    stream = io.StringIO()
    old = {"student_id": "old", "key": "", "outcome": "student_error", "sandbox": "not started"}  # an older grader's
    (tmp_path / "old" / "old").mkdir(parents=True)
    (tmp_path / "old" / "old" / "record.json").write_text(json.dumps(old))
    warn_below_strict([read_record(tmp_path / "old", "old")], stream)
    assert stream.getvalue() == ""


class ElsewhereWorker:
    """A worker whose jobs write their records into its own folder, not the batch's OUT (a cluster worker with
    another working directory, or without the shared filesystem)."""

    workers = 1

    def __init__(self, pool: concurrent.futures.Executor, folder: Path) -> None:
        self.pool, self.folder = pool, folder

    def submit(self, job: GradeJob) -> concurrent.futures.Future:
        return self.pool.submit(dataclasses.replace(job, out=self.folder))

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(cancel_futures=cancel)


def test_the_progress_bar_counts_what_the_gradebook_shows(tmp_path: Path) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "frank.zip").write_bytes(b"not a zip")  # a student error, wherever it is graded
    log = io.StringIO()
    with concurrent.futures.ThreadPoolExecutor(1) as threads:
        [record] = run_batch("pool", folder, tmp_path / "out", settings=Settings("quick"),
                             executor=ElsewhereWorker(threads, tmp_path / "elsewhere"), stream=log)
    assert record.status == "grader error" and "not in " + str(tmp_path / "out") in record.message
    assert "shared filesystem" in record.message
    assert gradebook(tmp_path / "out")[1][3] == "grader error"
    assert "did not load 0, grader error 1" in log.getvalue().splitlines()[-1]


def test_a_batch_in_the_strict_sandbox_says_nothing_of_it() -> None:
    stream = io.StringIO()
    warn_below_strict([Record("a", "", "passed", sandbox="strict (Landlock ABI 7, no network)")], stream)
    assert stream.getvalue() == ""


def test_an_output_folder_inside_the_submissions_is_not_a_submission(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(POOL / "correct_vectorised.py", submissions / "bob.py")
    records, again = (run_batch("pool", submissions, submissions / "graded", Settings("quick"), jobs=1,
                                stream=io.StringIO()) for _ in range(2))
    assert [r.student_id for r in records] == [r.student_id for r in again] == ["bob"]
