"""The output folder's layout: the batch's own files at its top, one folder per student id, and which ids are
safe to be folder names and spreadsheet cells.

An unsafe id (one that clashes with the batch's own outputs, or holds characters that break folders, shells or
spreadsheets) is never renamed: its submission did not load, with a sentence that says how to fix it, so the
gradebook never holds an id the instructor's roster does not know. Its files go to
`OUT/unsafe-ids/<readable part>-<hash>/`, a folder no id can reach because `unsafe-ids` is itself reserved.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

GRADEBOOK_NAME = "gradebook.csv"
RESULTS_NAME = "results.json"  # each student's, in their folder
SUMMARY_NAME = "summary.html"
UNSAFE_IDS = "unsafe-ids"
SIMILARITY_NAME = "similarity.html"
EXPORT_NAMES = ("canvas.csv", "moodle.csv")
TOP_LEVEL = (GRADEBOOK_NAME, SUMMARY_NAME, UNSAFE_IDS, SIMILARITY_NAME, *EXPORT_NAMES)
NOT_PORTABLE = '\\/:*?"<>|'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """`text` itself when every character shows, else with control, invisible and undecodable characters escaped
    (`bob\\nsmith`, `caf\\udce9`), so that it can be written to CSV, HTML and JSON and read by a person."""
    return text if text.isprintable() else repr(text)[1:-1]


def unsafe_reason(student_id: str) -> str:
    """What makes `student_id` unsafe as a folder name in the output folder, or '' when it is safe."""
    reserved = [name for name in TOP_LEVEL if name.casefold() == student_id.casefold()]
    if reserved:
        return f"clashes with the batch's own {reserved[0]} at the top of the output folder"
    hidden = [c for c in student_id if not c.isprintable()]
    if hidden:
        return f"holds {describe(hidden[0])}, which is unsafe in folder names and gradebooks"
    odd = [c for c in student_id if c in NOT_PORTABLE]
    if odd:
        return f"holds the character {odd[0]!r}, which is not allowed in folder names on every system"
    if student_id != student_id.strip():
        return "begins or ends with a space, which spreadsheets and rosters drop"
    if student_id.startswith("-"):
        return "begins with '-', which command-line tools read as an option"
    if student_id.startswith("."):
        return "begins with a dot: a hidden name, or one of the folder names '.' and '..'"
    return ""


def describe(character: str) -> str:
    """A hidden character by its code point and name, or the undecodable byte it stands for (`surrogateescape`)."""
    if "\udc80" <= character <= "\udcff":
        return f"a byte that is not UTF-8 (0x{ord(character) - 0xDC00:02X}; the file name has another encoding)"
    name = unicodedata.name(character, "")
    return f"an invisible or control character (U+{ord(character):04X}{' ' + name if name else ''})"


def id_problem(student_id: str, entry_name: str) -> str | None:
    """Why the submission of an unsafe id did not load (what is wrong and what to do), or None when safe."""
    reason = unsafe_reason(student_id)
    if not reason:
        return None
    return (f"the id '{printable(student_id)}' (from '{printable(entry_name)}') {reason}; rename that entry in the "
            "submissions folder to the student's id using letters, digits, '.', '_', '-' or '@', then run the "
            "batch again")


def student_folder(out: Path, student_id: str) -> Path:
    """Where a student's record and reports go: `OUT/<id>/`, or a folder under `OUT/unsafe-ids/` for an unsafe id."""
    if not unsafe_reason(student_id):
        return out / student_id
    readable = re.sub(r"[^\w.@+-]+", "_", student_id).strip("._-")[:40] or "id"
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return out / UNSAFE_IDS / f"{readable}-{digest}"


def spreadsheet_cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text: a leading apostrophe before =, +, -, @, tab or CR (OWASP's
    defence against CSV formula injection), so that an id such as `=HYPERLINK(...)` is never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
