"""The durable record each submission ends with (`OUT/<id>/record.json`) and its key.

The key says what was graded and how: the submission's bytes, the assignment, the suite's source, the
profile and the seed. A record with the same key and a final outcome means there is nothing to redo.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grader.suites
from grader.batch.layout import student_folder
from grader.files import json_text, write_atomic

GRADED, STUDENT_ERROR, GRADER_ERROR = "graded", "student_error", "grader_error"
OUTCOME_WORDS = {GRADED: "graded", STUDENT_ERROR: "student error", GRADER_ERROR: "grader error"}
RECORD_NAME = "record.json"
MAX_HASHED_BYTES = 64 * 1024 * 1024  # above what discovery accepts: a larger file is refused, not read


@dataclass
class Record:
    """One submission's outcome: its score per check, or why it has none."""

    student_id: str
    key: str
    outcome: str
    score: float | None = None
    max_score: float | None = None
    checks: dict[str, float] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    sandbox: str = ""  # the sandbox level the submission ran at (see README, Security)
    happened: str = ""  # what happened, in words: graded, did not load, timed out in F, crashed in F, ...
    seed: int | None = None  # the seed its inputs were drawn from: `grader check --seed N` replays the grade

    @property
    def what_happened(self) -> str:
        """``happened``, or the outcome in words for a record written before it was kept."""
        return self.happened or OUTCOME_WORDS.get(self.outcome, self.outcome)

    def to_json(self) -> str:
        """Stable JSON (sorted keys), so an unchanged record is byte-identical."""
        return json_text(asdict(self), sort_keys=True)


def record_path(out: Path, student_id: str) -> Path:
    """Where the record of `student_id` lives: `OUT/<id>/record.json` (see `layout` for an unsafe id)."""
    return student_folder(out, student_id) / RECORD_NAME


def read_record(out: Path, student_id: str) -> Record | None:
    """The stored record for `student_id`, or None when there is none or it cannot be read."""
    try:
        return Record(**json.loads(record_path(out, student_id).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def is_done(out: Path, student_id: str, key: str) -> bool:
    """Whether a final record (graded or student error) exists for exactly this key."""
    record = read_record(out, student_id)
    return record is not None and record.key == key and record.outcome != GRADER_ERROR


def write_record(out: Path, record: Record) -> None:
    """Store `record` atomically: a crash leaves the old record or the new one, never half of one."""
    write_atomic(record_path(out, record.student_id), record.to_json())


def suite_version(assignment: str) -> str:
    """A hash of the suite's source (wherever the course keeps it) and the framework it runs on: a changed check
    means a regrade."""
    suites = Path(grader.suites.__file__).parent
    own = Path(grader.suites.suite_module(assignment).__file__)
    digest = hashlib.sha256()
    for path in (own, suites / "framework.py", suites / "strategies.py"):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def content_digest(sources: tuple[Path, ...]) -> str:
    """A hash of what was handed in: each file's bytes; for a folder, its files' relative paths and bytes."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(b"entry\0" + source.name.encode("utf-8", "surrogateescape") + b"\0")
        for relative, data in files_of(source):
            digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def files_of(source: Path) -> list[tuple[str, bytes]]:
    """(relative path, bytes) of a file, or of every file under a folder, sorted; links hash as their target,
    anything but a regular file as its kind, and a file too large to grade (discovery refuses it) as its size:
    nothing here blocks on a FIFO or reads gigabytes."""
    info = source.lstat()
    if stat.S_ISLNK(info.st_mode):
        return [("", b"link\0" + os.readlink(source).encode("utf-8", "surrogateescape"))]
    if not stat.S_ISDIR(info.st_mode) and not stat.S_ISREG(info.st_mode):
        return [("", b"special\0" + str(stat.S_IFMT(info.st_mode)).encode())]
    if not stat.S_ISDIR(info.st_mode):
        if info.st_size > MAX_HASHED_BYTES:
            return [("", b"too large\0" + str(info.st_size).encode())]
        with source.open("rb") as handle:
            return [("", handle.read(MAX_HASHED_BYTES))]
    found = []
    for root, dirs, files in os.walk(source):
        dirs.sort()
        for name in files:
            path = Path(root) / name
            found.extend((path.relative_to(source).as_posix() + suffix, data)
                         for suffix, data in files_of(path))
    return sorted(found)


def record_key(sources: tuple[Path, ...], problem: str | None, assignment: str, profile: str, seed: int,
               version: str) -> str:
    """The key of one grading: content, problem (if any), assignment, suite version, profile and seed."""
    parts: dict[str, Any] = {"content": content_digest(sources), "problem": problem, "assignment": assignment,
                             "suite": version, "profile": profile, "seed": seed}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
