"""The names Canvas and Moodle give the files of a bulk download ("Download Submissions", "Download all
submissions"), read back as the student each file belongs to and the name it was handed in under.

Canvas (its ContentZipper): `<name>[_LATE]_<user id>_<attachment id>_<file name>` for an uploaded file, where
<name> is the student's sortable name ("Doe, Jane") lowercased with everything but letters, digits and `_` removed
(`doejane`), and `<name>[_LATE]_<user id>_text.html` or `_link.html` for a text or URL entry; anonymous grading
writes `anon_<anonymous id>` in place of the name and user id. The user id is the "ID" column of the course's
gradebook export. Moodle (mod/assign): a folder `<full name>_<participant id>_assignsubmission_<plugin>_/` per
student and plugin (`file`, `onlinetext`), or without "download submissions in folders" the files
`<full name>_<participant id>_assignsubmission_<plugin>_<file name>`, with `_` in the name turned into spaces; the
participant id is the assignment's own number for the student, "Participant <id>" in its grading worksheet.

A student's key is `<name>_<user id>` (Canvas) or `<full name>_<participant id>` (Moodle): the id the batch grades
them under, and what `grader export` maps back to the roster.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CANVAS_FILE = re.compile(r"(?P<name>\w*?)(?:_LATE)?_(?P<user>\d+)_(?:\d+_(?P<file>.+)|(?P<entry>text|link)\.html)")
CANVAS_ANONYMOUS = re.compile(r"(?:LATE_)?(?P<key>anon_[A-Za-z0-9]+)_(?:\d+_(?P<file>.+)|(?P<entry>text|link)\.html)")
MOODLE_FILE = re.compile(r"(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_[a-z]+_(?P<file>.*)")
CANVAS_KEY = re.compile(r"(?P<name>\w*?)_(?P<user>\d+)")
MOODLE_KEY = re.compile(r"(?P<name>[^_]+)_(?P<participant>\d+)")


@dataclass(frozen=True)
class Downloaded:
    """One entry of an LMS download: the student's key, and the name the file was handed in under ('' for a
    Moodle folder, whose files keep their own names)."""

    key: str
    member: str


def read_download(names: list[str]) -> tuple[str, dict[str, Downloaded]]:
    """Which LMS made a folder whose entries are `names` ('canvas', 'moodle' or '' when not every entry bears one
    LMS's names), and each entry's key and member name."""
    for lms, read in (("canvas", canvas_entry), ("moodle", moodle_entry)):
        entries = {name: read(name) for name in names}
        if names and all(entries.values()):
            return lms, {name: entry for name, entry in entries.items() if entry}
    return "", {}


def canvas_entry(name: str) -> Downloaded | None:
    """A Canvas download's file name read back, or None when Canvas would not name a file so."""
    name = unicodedata.normalize("NFC", name)  # unzipped on macOS, an accent is a letter of its own
    found = CANVAS_FILE.fullmatch(name)
    if found:
        return Downloaded(f"{found['name']}_{found['user']}", found["file"] or f"{found['entry']}.html")
    found = CANVAS_ANONYMOUS.fullmatch(name)
    return Downloaded(found["key"], found["file"] or f"{found['entry']}.html") if found else None


def moodle_entry(name: str) -> Downloaded | None:
    """A Moodle download's folder or file name read back, or None when Moodle would not name one so."""
    found = MOODLE_FILE.fullmatch(unicodedata.normalize("NFC", name))
    return Downloaded(f"{found['name']}_{found['participant']}", found["file"]) if found else None


def canvas_name(sortable_name: str) -> str:
    """The name part Canvas writes for a student's sortable name: "Doe, Jane" -> "doejane"."""
    return re.sub(r"\W", "", re.sub(r"_(\d+)_", r"\1", sortable_name).lower())


def key_parts(key: str, pattern: re.Pattern[str]) -> tuple[str, str] | None:
    """A key's name and number (`CANVAS_KEY` or `MOODLE_KEY`), or None when it is not such a key."""
    found = pattern.fullmatch(unicodedata.normalize("NFC", key))
    return (found[1], found[2]) if found else None
