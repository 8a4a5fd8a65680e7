"""`grader batch`: discover the submissions, skip those already recorded, grade the rest in parallel,
then write the gradebook and the class summary from the records."""

from __future__ import annotations

import concurrent.futures
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from grader.batch.discover import discover
from grader.batch.executor import Executor, LocalExecutor
from grader.batch.gradebook import write_gradebook
from grader.batch.job import GradeJob
from grader.batch.records import (GRADER_ERROR, STUDENT_ERROR, Record, is_done, read_record, record_key,
                                  suite_version, write_record)
from grader.batch.summary import write_summary
from grader.runner import PROFILES
from grader.suites import get_suite


@dataclass
class Progress:
    """The one-line counter on stderr: `graded 12/40 (3 skipped, 1 student error)`."""

    total: int
    stream: TextIO
    skipped: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        """Count one finished submission and show the new totals."""
        self.counts[record.outcome] = self.counts.get(record.outcome, 0) + 1
        self.show()

    def show(self) -> None:
        """Rewrite the line in a terminal; print one line per update in a log."""
        done = self.skipped + sum(self.counts.values())
        notes = [f"{self.skipped} skipped"]
        notes += [f"{self.counts[o]} {o.replace('_', ' ')}" for o in (STUDENT_ERROR, GRADER_ERROR)
                  if self.counts.get(o)]
        line = f"graded {done}/{self.total} ({', '.join(notes)})"
        self.stream.write(f"\r{line}" if self.stream.isatty() else f"{line}\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the terminal line that `show` kept rewriting."""
        if self.stream.isatty():
            self.stream.write("\n")


def run_batch(assignment: str, submissions: Path, out: Path, jobs: int | None = None, profile: str = "thorough",
              seed: int | None = None, data_dir: Path | None = None, executor: Executor | None = None,
              stream: TextIO = sys.stderr) -> list[Record]:
    """Grade every submission not already recorded with the same key; returns every entry's record, by id.

    A given ``executor`` stays open (its owner closes it); without one, a local pool of ``jobs`` workers is used.

    Ctrl-C stops at once: the records already written stay, and the next run grades only the rest.
    """
    run_seed = PROFILES[profile].seed if seed is None else seed
    version = suite_version(assignment)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as scratch:
        entries = discover(submissions, Path(scratch))
        todo = []
        for entry in entries:
            key = record_key(entry.sources, entry.problem, assignment, profile, run_seed, version)
            if not is_done(out, entry.student_id, key):
                todo.append(GradeJob(assignment, entry, out, key, profile, run_seed, data_dir))
        progress = Progress(len(entries), stream, skipped=len(entries) - len(todo))
        progress.show()
        if executor is not None:
            run_all(executor, todo, progress)
        else:
            with LocalExecutor(jobs) as pool:
                run_all(pool, todo, progress)
        progress.finish()
    records = [read_record(out, entry.student_id) or unrecorded(entry.student_id) for entry in entries]
    write_gradebook(out, [check.name for check in get_suite(assignment).checks], records)
    write_summary(out, assignment, records)
    return records


def unrecorded(student_id: str) -> Record:
    """What the gradebook shows for an id whose record is missing or unreadable after the run: an error."""
    return Record(student_id, "", GRADER_ERROR, message=f"no readable record for {student_id} after the run")


def run_all(pool: Executor, todo: list[GradeJob], progress: Progress) -> None:
    """Run every job; one that ends in a grader error is tried once more before its error is kept."""
    pending = {submit(pool, job): (job, 1) for job in todo}
    while pending:
        done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
        for future in done:
            job, attempt = pending.pop(future)
            record = result_of(future, job)
            if record.outcome == GRADER_ERROR and attempt == 1:
                pending[submit(pool, job)] = (job, 2)
            else:
                progress.add(record)


def submit(pool: Executor, job: GradeJob) -> concurrent.futures.Future[Record]:
    """The job's future; a pool that refuses it (a broken pool) gives a future holding that error."""
    try:
        return pool.submit(job)
    except Exception as error:  # BrokenProcessPool, RuntimeError after shutdown: the job's grader error
        failed: concurrent.futures.Future[Record] = concurrent.futures.Future()
        failed.set_exception(error)
        return failed


def result_of(future: concurrent.futures.Future[Record], job: GradeJob) -> Record:
    """The job's record; when the worker itself failed (killed, unpicklable), a grader_error written here."""
    try:
        return future.result()
    except Exception as error:
        message = "".join(traceback.format_exception(error))
        record = Record(job.entry.student_id, job.key, GRADER_ERROR, message=message)
        write_record(job.out, record)
        return record
