"""`grader batch`: discover the submissions, skip those already recorded, grade the rest in parallel,
then write the gradebook and the class summary from the records."""

from __future__ import annotations

import concurrent.futures
import os
import sys
import traceback
from collections import Counter, defaultdict, deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from grader.batch.discover import discover
from grader.batch.executor import Executor, local_pool
from grader.batch.gradebook import write_gradebook
from grader.batch.job import GradeJob
from grader.batch.records import (GRADER_ERROR, Record, content_digest, is_done, read_record, record_key,
                                  suite_version, write_record)
from grader.batch.scratch import UNPACKED_PREFIX, clear_leftovers, held_folder
from grader.batch.summary import write_summary
from grader.official import official_seed
from grader.settings import Settings
from grader.status import Status
from grader.suites import get_suite


LOG_SECONDS = 30.0


class LogLines:
    """What tqdm writes, turned into whole lines for a log: tqdm redraws its line with a carriage return, which a
    log file or a CI console would show as one ever-growing line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        """Write each redraw of the bar as one line of its own (tqdm's padding and bare newlines are dropped)."""
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        """Flush the log, so that a line shows as soon as it is written."""
        self.stream.flush()


class Progress:
    """The progress bar on stderr (tqdm: done/total, rate, ETA), with how many did not load or met a grader error
    as its postfix.

    In a terminal it redraws one line; elsewhere (a log, CI, a terminal that reports no width, where tqdm would
    draw nothing) it prints a line at most every LOG_SECONDS, plus the first and the last. The rate and the ETA
    count only what this run grades, not the skipped submissions.
    """

    def __init__(self, total: int, stream: TextIO, skipped: int = 0) -> None:
        self.skipped = skipped
        self.counts = {Status.DID_NOT_LOAD: 0, GRADER_ERROR: 0}
        terminal = terminal_columns(stream) > 0
        self.bar = tqdm(total=total, initial=skipped, desc="grading", unit="sub", postfix=self.postfix(),
                        file=stream if terminal else LogLines(stream), dynamic_ncols=True, smoothing=0,
                        mininterval=0.1 if terminal else LOG_SECONDS)

    def postfix(self) -> str:
        """The counts shown after the bar: `skipped 3, did not load 1, grader error 0`."""
        return ", ".join([f"skipped {self.skipped}", *(f"{status} {n}" for status, n in self.counts.items())])

    def add(self, record: Record) -> None:
        """Count one finished submission (the bar redraws when its interval has passed)."""
        if record.status in self.counts:
            self.counts[record.status] += 1
        self.bar.set_postfix_str(self.postfix(), refresh=False)
        self.bar.update(1)

    def finish(self) -> None:
        """Draw the final state and end the line."""
        self.bar.close()


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal `stream` writes to; 0 when it is not a terminal or says it has no width."""
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
    except (AttributeError, OSError, ValueError):  # no file descriptor (a StringIO), or a closed one
        return 0


def run_batch(assignment: str, submissions: Path, out: Path, settings: Settings = Settings("thorough"),
              jobs: int | None = None, executor: Executor | None = None,
              stream: TextIO | None = None, secret: bytes | None = None) -> list[Record]:
    """Grade every submission not already recorded with the same key; returns every entry's record, by id.

    With the official profile, each submission's seed is drawn from the course ``secret`` and its content (see
    grader.official). A given ``executor`` stays open (its owner closes it); without one, a local pool of ``jobs``
    workers is used. The progress bar goes to ``stream`` (default: stderr). Relative paths are taken from where this
    runs, never from a worker's own folder; what killed batches left behind is cleared first (see `scratch`).

    Ctrl-C stops at once: the records already written stay, and the next run grades only the rest.
    """
    submissions, out = submissions.absolute(), out.absolute()
    version = suite_version(assignment)
    out.mkdir(parents=True, exist_ok=True)
    clear_leftovers(out)
    with held_folder(out, UNPACKED_PREFIX) as scratch:  # in OUT, which every worker sees
        entries = discover(submissions, scratch, out)
        todo = []
        for entry in entries:
            chosen = entry_settings(assignment, entry.sources, settings, secret)
            key = record_key(entry.sources, entry.problem, assignment, chosen.profile, chosen.seed_in_force, version,
                             chosen.hints)
            if not is_done(out, entry.student_id, key):
                todo.append(GradeJob(assignment, entry, out, key, chosen))
        progress = Progress(len(entries), stream or sys.stderr, skipped=len(entries) - len(todo))
        if executor is not None:
            run_all(executor, todo, progress)
        else:
            with local_pool(jobs) as pool:
                run_all(pool, todo, progress)
        progress.finish()
    records = [read_record(out, entry.student_id) or unrecorded(entry.student_id) for entry in entries]
    write_gradebook(out, [check.name for check in get_suite(assignment).checks], records)
    write_summary(out, assignment, records)
    warn_below_strict(records, stream or sys.stderr)
    return records


def entry_settings(assignment: str, sources: tuple[Path, ...], settings: Settings, secret: bytes | None) -> Settings:
    """One submission's settings: the batch's, with the official profile's seed drawn for this submission."""
    if not settings.official or settings.seed is not None:
        return settings
    if secret is None:
        raise ValueError("the official profile needs the course secret (grader.official.course_secret())")
    return replace(settings, seed=official_seed(secret, assignment, content_digest(sources)))


def warn_below_strict(records: list[Record], stream: TextIO) -> None:
    """Say loudly when submissions ran below the strict sandbox: the grades hold, the machine is less protected."""
    weaker = Counter(r.sandbox for r in records if r.sandbox and not r.sandbox.startswith("strict"))
    for level, count in sorted(weaker.items()):
        stream.write(f"WARNING: {count} submission(s) ran without the strict sandbox, at level {level}: "
                     "they could reach more of this machine (see README, Security). Grade untrusted code on a "
                     "Linux machine with Landlock and namespaces, or inside a throwaway VM or container.\n")


def unrecorded(student_id: str) -> Record:
    """What the gradebook shows for an id whose record is missing or unreadable after the run: an error."""
    return Record(student_id, "", GRADER_ERROR, message=f"no readable record for {student_id} after the run")


@dataclass
class Tries:
    """How one job has fared: grader faults (the job raised or recorded a grader error), and worker deaths while it
    was in flight."""

    faults: int = 0
    deaths: int = 0


@dataclass
class Queue:
    """The jobs not finished yet: those to run normally, those to run again alone after a worker died, and those
    in flight."""

    waiting: deque[GradeJob]
    suspects: deque[GradeJob] = field(default_factory=deque)
    pending: dict[concurrent.futures.Future[Record], GradeJob] = field(default_factory=dict)
    tries: dict[str, Tries] = field(default_factory=lambda: defaultdict(Tries))


def run_all(pool: Executor, todo: list[GradeJob], progress: Progress) -> None:
    """Run every job until it has a final record. A grader fault is retried once. At most `pool.workers` jobs are
    in flight, so when a worker dies (`BrokenProcessPool`) only those can have caused it: each is run again alone
    on a fresh pool, and one that kills its worker alone as well gets a grader error, never a score."""
    queue = Queue(deque(todo))
    while queue.waiting or queue.suspects or queue.pending:
        submit_next(pool, queue)
        done, _ = concurrent.futures.wait(queue.pending, return_when=concurrent.futures.FIRST_COMPLETED)
        for future in [f for f in queue.pending if f in done]:  # in the order submitted: a deterministic queue
            job = queue.pending.pop(future)
            record = settle(future, job, queue)
            if record is not None:
                progress.add(record)


def submit_next(pool: Executor, queue: Queue) -> None:
    """Fill the free workers with waiting jobs; while suspects remain, run them one at a time and nothing else."""
    if queue.suspects:
        if not queue.pending:
            job = queue.suspects.popleft()
            queue.pending[submit(pool, job)] = job
        return
    while queue.waiting and (pool.workers is None or len(queue.pending) < pool.workers):
        job = queue.waiting.popleft()
        queue.pending[submit(pool, job)] = job


def settle(future: concurrent.futures.Future[Record], job: GradeJob, queue: Queue) -> Record | None:
    """The job's final record, or None when it goes back in the queue (a first grader fault, a first death)."""
    tries = queue.tries[job.entry.student_id]
    if isinstance(future.exception(), BrokenProcessPool):
        tries.deaths += 1
        if tries.deaths == 1:
            queue.suspects.append(job)
            return None
        return error_record(job, worker_died(job))
    record = as_stored(result_of(future, job), job)
    if record.status == GRADER_ERROR and tries.faults == 0 and tries.deaths == 0:
        tries.faults += 1
        queue.waiting.append(job)
        return None
    return record


def as_stored(record: Record, job: GradeJob) -> Record:
    """The job's record as OUT holds it, which is what the gradebook shows; a worker whose record is not there (it
    wrote to a folder this machine does not see) gives a grader error that says so."""
    stored = read_record(job.out, job.entry.student_id)
    if stored is not None and stored.key == record.key:
        return stored
    return error_record(job, f"the worker reported {record.status} for {job.entry.student_id} but its record is "
                             f"not in {job.out}: every worker must see the submissions and the output folder at the "
                             "same paths as this machine (a shared filesystem)")


def worker_died(job: GradeJob) -> str:
    """Why a job that killed its worker twice has no score, and what to do."""
    sid = job.entry.student_id
    return (f"the worker process grading {sid} died twice, the second time while grading only {sid} (killed by a "
            "signal, such as the SIGKILL the out-of-memory killer sends, or crashed); this is not a verdict on the "
            f"code: grade it alone with `grader check {job.assignment} PATH` to see why, or run the batch again to "
            "retry it")


def submit(pool: Executor, job: GradeJob) -> concurrent.futures.Future[Record]:
    """The job's future; a pool that refuses it (a broken pool) gives a future holding that error."""
    try:
        return pool.submit(job)
    except Exception as error:  # BrokenProcessPool, RuntimeError after shutdown: the job's grader error
        failed: concurrent.futures.Future[Record] = concurrent.futures.Future()
        failed.set_exception(error)
        return failed


def result_of(future: concurrent.futures.Future[Record], job: GradeJob) -> Record:
    """The job's record; when the job could not run or report (unpicklable, a closed executor), a grader error."""
    try:
        return future.result()
    except Exception as error:
        return error_record(job, "".join(traceback.format_exception(error)))


def error_record(job: GradeJob, message: str) -> Record:
    """A grader error for `job`, written here in the parent: the worker could not write it."""
    record = Record(job.entry.student_id, job.key, GRADER_ERROR, message=message)
    write_record(job.out, record)
    return record
