"""The durable record each submission ends with (`OUT/<id>/record.json`) and its key.

The key says what was graded and how: the submission's bytes, the assignment, the suite's source, the
profile, the seed and the hint level. A record with the same key and a final status (any but grader error) means
there is nothing to redo. Records written before statuses (an ``outcome`` of graded, student_error or
grader_error) still load.
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
from grader.batch.layout import RESULTS_NAME, student_folder
from grader.files import json_text, write_atomic
from grader.status import Status, combined, in_words

GRADER_ERROR = Status.GRADER_ERROR
RECORD_NAME = "record.json"
MAX_HASHED_BYTES = 64 * 1024 * 1024  # above what discovery accepts: a larger file is refused, not read


@dataclass
class Record:
    """One submission's outcome: its score per check, or why it has none."""

    student_id: str
    key: str
    status: Status  # the submission's (grader.status)
    score: float | None = None
    max_score: float | None = None
    checks: dict[str, float] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    sandbox: str = ""  # the sandbox level the submission ran at (see README, Security)
    detail: str = ""  # what follows the status word where it helps: "in conv_forward"
    seed: int | None = None  # the seed its inputs were drawn from: `grader check --seed N` replays the grade

    def __post_init__(self) -> None:
        """A status given as its word becomes the Status; a word outside the vocabulary is a ValueError."""
        self.status = Status(self.status)

    @property
    def what_happened(self) -> str:
        """The status word and its detail: "did not load", "timed out in conv_forward"."""
        return in_words(self.status, self.detail)

    def to_json(self) -> str:
        """Stable JSON (sorted keys), so an unchanged record is byte-identical."""
        return json_text(asdict(self), sort_keys=True)


def record_path(out: Path, student_id: str) -> Path:
    """Where the record of `student_id` lives: `OUT/<id>/record.json` (see `layout` for an unsafe id)."""
    return student_folder(out, student_id) / RECORD_NAME


def read_record(out: Path, student_id: str) -> Record | None:
    """The stored record for `student_id`, or None when there is none or it cannot be read."""
    try:
        fields = json.loads(record_path(out, student_id).read_text(encoding="utf-8"))
        return Record(**(upgraded(fields, student_folder(out, student_id)) if "outcome" in fields else fields))
    except (OSError, ValueError, TypeError):
        return None


LEGACY_ERRORS = {"student_error": Status.DID_NOT_LOAD, "grader_error": Status.GRADER_ERROR}
LEGACY_WORDS = {"used up its time budget": (Status.TIMED_OUT, "after using up its time budget")}


def upgraded(fields: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A record written before statuses, in today's fields: its ``outcome`` and ``happened`` become a status and its
    detail. A student error (never started) is did not load, with no sandbox level; a graded submission keeps what
    happened when it named a status ("timed out in F"), else takes the status its checks in results.json give."""
    fields = dict(fields)
    outcome, happened = fields.pop("outcome"), fields.pop("happened", "")
    if outcome in LEGACY_ERRORS:
        fields["sandbox"] = "" if outcome == "student_error" else fields.get("sandbox", "")
        return fields | {"status": LEGACY_ERRORS[outcome]}
    for word in (Status.DID_NOT_LOAD, Status.TIMED_OUT, Status.CRASHED):
        if happened.startswith(word):
            return fields | {"status": word, "detail": happened[len(word):].strip()}
    status, detail = LEGACY_WORDS.get(happened, (checks_status(folder, fields), ""))
    return fields | {"status": status, "detail": detail}


def checks_status(folder: Path, fields: dict[str, Any]) -> Status:
    """A graded submission's status from its checks' statuses in its results.json (the worst of them, as through its
    functions); when that cannot be read, passed for full marks, else failed."""
    try:
        tests = json.loads((folder / RESULTS_NAME).read_text(encoding="utf-8"))["tests"]
        return combined(Status(test["extra_data"]["status"]) for test in tests)
    except (OSError, ValueError, TypeError, KeyError):
        full = fields.get("score") is not None and fields.get("score") == fields.get("max_score")
        return Status.PASSED if full else Status.FAILED


def is_done(out: Path, student_id: str, key: str) -> bool:
    """Whether a final record (any status but grader error) exists for exactly this key."""
    record = read_record(out, student_id)
    return record is not None and record.key == key and record.status != GRADER_ERROR


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
               version: str, hints: str) -> str:
    """The key of one grading: content, problem (if any), assignment, suite version, profile, seed and hint level
    (the student's reports show repairs at that level: another level is another grading)."""
    parts: dict[str, Any] = {"content": content_digest(sources), "problem": problem, "assignment": assignment,
                             "suite": version, "profile": profile, "seed": seed, "hints": hints}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
