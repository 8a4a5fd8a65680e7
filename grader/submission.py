"""Turn what a student hands in (.py, .ipynb or a folder) into code cells for the sandbox child.

Student code is only read as text here: it is never imported or executed in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a notebook is read: a .py submission and the command line's start do without
    import nbformat

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
# Bounds on a notebook's JSON, checked before and while it is parsed: three bytes (`{},`) become a Python
# object of 64 bytes and a node that nbformat walks, so 64 MiB of them would take gigabytes and minutes.
# Real notebooks hold a few thousand objects; most of a large one is long output strings.
MAX_NOTEBOOK_VALUES = 1_000_000  # commas, brackets and braces in the bytes, those inside strings included
MAX_NOTEBOOK_OBJECTS = 100_000
MAX_NOTEBOOK_CELLS = 10_000
_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class SourceCell:
    """One piece of student code to run, with where it came from for messages."""

    source: str  # the code to run
    label: str  # "hw.py" or "hw.ipynb, cell 7" (1-based, counting every cell as Jupyter shows them)
    first_line: int  # line number of `source`'s first line in the file (1 for notebook cells)


@dataclass(frozen=True)
class Submission:
    """A student's submission as code cells, with the file's digest to key resumable batch records."""

    path: Path
    kind: str  # "py" or "ipynb"
    cells: tuple[SourceCell, ...]
    digest: str  # sha256 hex of the file's bytes


class SubmissionError(Exception):
    """The submission cannot be read at all; the message is written for the student."""


def _what_to_name(assignment: str) -> str:
    """The naming advice every "which file?" message ends with."""
    return f"name your file {assignment}.py or {assignment}.ipynb"


def _is_candidate(path: Path) -> bool:
    """Whether a folder entry could be the submission: a visible .py or .ipynb file."""
    return not path.name.startswith(".") and path.suffix.lower() in _SUFFIXES and path.is_file()


def find_submission_file(path: Path, assignment: str) -> Path:
    """The file to grade: `path`, or in a folder `<assignment>.py`, `<assignment>.ipynb` or the only candidate.

    Only the folder's top level is searched, so __pycache__/ and .ipynb_checkpoints/ never count.
    """
    if not path.exists() and not path.is_symlink():
        raise SubmissionError(f"{path} does not exist; check the path, or {_what_to_name(assignment)}")
    if not path.is_dir():
        if path.suffix.lower() not in _SUFFIXES:
            raise SubmissionError(
                f"{path.name} is not a .py file or a .ipynb notebook; {_what_to_name(assignment)}"
            )
        return path
    for name in (f"{assignment}.py", f"{assignment}.ipynb"):
        if (path / name).is_file() or (path / name).is_symlink():
            return path / name
    candidates = sorted(entry.name for entry in path.iterdir() if _is_candidate(entry))
    if len(candidates) == 1:
        return path / candidates[0]
    if candidates:
        raise SubmissionError(
            f"{path.name} holds several possible submissions ({', '.join(candidates)}); "
            f"keep only one, or {_what_to_name(assignment)}"
        )
    visible = sorted(entry.name for entry in path.iterdir() if not entry.name.startswith("."))
    found = f"it holds: {', '.join(visible)}" if visible else "it is empty"
    raise SubmissionError(f"no .py or .ipynb file in {path.name} ({found}); {_what_to_name(assignment)}")


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, refusing links, non-regular files and files over `limit` bytes."""
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link; submit the file itself")
    if not path.is_file():
        raise SubmissionError(f"{path.name} is not a regular file; submit a .py file or a .ipynb notebook")
    with path.open("rb") as handle:
        expected = os.fstat(handle.fileno()).st_size  # read(limit + 1) alone would allocate limit bytes every time
        data = handle.read(min(expected, limit) + 1)
        if len(data) > expected:  # it grew while being read
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        raise SubmissionError(
            f"{path.name} is larger than {limit // (1024 * 1024)} MiB; submit only your code"
        )
    return data


def _decode(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM allowed) with newlines normalised as Python's own reader does."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{name} is not UTF-8 text: {exc}; save it as UTF-8 from your editor") from exc
    return _normalise_newlines(text)


def _normalise_newlines(text: str) -> str:
    """Text with \\r\\n and lone \\r turned into \\n, as Python reads source, so line numbers match editors."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _scan_line(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool]:
    """Bracket depth, open string delimiter and backslash continuation after `line`.

    A light tokenizer, enough to tell whether the next line starts a new statement.
    """
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if quote is not None:
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            i += 1
            continue
        if char == "#":
            return depth, None, False
        if char in "\"'":
            quote = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    continues = line.endswith("\\")
    if quote is not None and len(quote) == 1 and not continues:
        quote = None  # an unterminated one-line string ends with its line
    return depth, quote, continues and quote is None


def strip_magics(source: str) -> str | None:
    """The cell without IPython magics (`%`) and shell lines (`!`), line numbers kept; None for a `%%` cell.

    An indented dropped line becomes `pass` at its indentation so blocks stay valid; a top-level one, empty.
    Lines inside brackets, strings or after a backslash are continuations (`!= b`, `% n`) and are kept.
    """
    lines = source.split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        return None
    out = []
    depth, quote, continued = 0, None, False
    for line in lines:
        stripped = line.lstrip()
        starts_statement = depth == 0 and quote is None and not continued
        if starts_statement and stripped[:1] in ("%", "!"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}pass" if indent else "")
            continue
        out.append(line)
        depth, quote, continued = _scan_line(line, depth, quote)
    return "\n".join(out)


SKIPPED_TAGS = ("check", "grader")  # the released worked examples, and the cells that call the grader
CALLS_GRADER = re.compile(r"^\s*(import\s+grader|from\s+grader\b)|\bgrader\.check\(", re.MULTILINE)


def _is_skipped_cell(cell: dict) -> bool:
    """Whether a notebook cell is tagged as one the grader skips: a worked example or a grader cell (a cell that
    imports or calls the grader is skipped too, once its size is known to be sane)."""
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return isinstance(tags, list) and any(tag in tags for tag in SKIPPED_TAGS)


def _without_untrusted_parts(raw: dict) -> dict:
    """A v4 notebook's JSON with only what the grader reads: each cell's type, source, id and tags.

    Notebook metadata, outputs, attachments and any other keys are dropped (outputs become empty), so
    nbformat reads past malformed ones instead of failing, and spends no time on them.
    """
    cells = raw.get("cells") if raw.get("nbformat") == 4 else None
    if not isinstance(cells, list):
        return raw
    return {"nbformat": 4, "nbformat_minor": raw.get("nbformat_minor", 0), "metadata": {},
            "cells": [_cell_without_untrusted_parts(cell) if isinstance(cell, dict) else cell for cell in cells]}


def _cell_without_untrusted_parts(cell: dict) -> dict:
    kept = {key: cell[key] for key in ("cell_type", "source", "id") if key in cell}
    tags = cell.get("metadata").get("tags") if isinstance(cell.get("metadata"), dict) else None
    kept["metadata"] = {"tags": tags} if isinstance(tags, list) else {}
    if "outputs" in cell or cell.get("cell_type") == "code":
        kept["outputs"], kept["execution_count"] = [], None
    return kept


def _describe(exc: Exception) -> str:
    """A short reason why a notebook could not be read, without echoing its bytes."""
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc}"
    if isinstance(exc, KeyError):
        return f"no {exc} entry"
    return (str(exc).splitlines() or [type(exc).__name__])[0][:120]


def _read_notebook(data: bytes, name: str) -> nbformat.NotebookNode:
    """Parse a notebook as nbformat 4 without rejecting schema problems that do not stop reading it."""
    import nbformat
    from nbformat.reader import reads as read_notebook_json

    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_NOTEBOOK_VALUES:
        raise SubmissionError(
            f"{name} holds too many JSON values ({values:,} commas, brackets and braces) to be read: clear its "
            "outputs in Jupyter (Edit > Clear Outputs of All Cells), save it and submit again, or submit the .py"
        )
    objects = cells = 0

    def counted(pairs: list[tuple[str, object]]) -> dict:
        """json.loads' object hook: refuses, as it parses, more objects or cells than nbformat reads quickly."""
        nonlocal objects, cells
        objects += 1
        cells += any(key == "cell_type" for key, _ in pairs)
        if objects > MAX_NOTEBOOK_OBJECTS:
            raise ValueError(f"more than {MAX_NOTEBOOK_OBJECTS:,} JSON objects: clear its outputs and save it again")
        if cells > MAX_NOTEBOOK_CELLS:
            raise ValueError(f"more than {MAX_NOTEBOOK_CELLS:,} cells")
        return dict(pairs)

    try:
        raw = json.loads(data, object_pairs_hook=counted)
        if not isinstance(raw, dict) or "nbformat" not in raw:
            raise ValueError("JSON, but not a Jupyter notebook")
        # nbformat.reads would validate and log every schema problem; we only need the cells.
        notebook = nbformat.convert(read_notebook_json(json.dumps(_without_untrusted_parts(raw))), 4)
        if not isinstance(notebook["cells"], list):
            raise TypeError("'cells' is not a list")
    except Exception as exc:  # any failure to parse untrusted bytes means "unreadable"
        raise SubmissionError(
            f"{name} is not a readable notebook ({_describe(exc)}): re-download it from Jupyter with "
            "File > Download, or submit the .py"
        ) from exc
    return notebook


def _notebook_cells(notebook: nbformat.NotebookNode, name: str) -> tuple[SourceCell, ...]:
    """The notebook's code cells, in order, without check and grader cells, `%%` cells and magic lines."""
    cells, total = [], 0
    for number, cell in enumerate(notebook["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or _is_skipped_cell(cell):
            continue
        source = cell.get("source", "")
        if not isinstance(source, str):
            raise SubmissionError(
                f"{name}, cell {number} has no readable source: re-download the notebook from Jupyter "
                "with File > Download, or submit the .py"
            )
        total += len(source)  # checked before stripping magics, which scans the text in Python, line by line
        if total > 2 * MAX_SOURCE_BYTES:  # twice the limit: dropped magic lines never make up half the code
            raise _too_much_code(name)
        code = strip_magics(_normalise_newlines(source))
        if code is not None and code.strip() and not CALLS_GRADER.search(code):
            cells.append(SourceCell(code, f"{name}, cell {number}", 1))
    if sum(len(cell.source.encode("utf-8")) for cell in cells) > MAX_SOURCE_BYTES:
        raise _too_much_code(name)
    return tuple(cells)


def _too_much_code(name: str) -> SubmissionError:
    return SubmissionError(
        f"{name} holds more than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB of code; submit only your code"
    )


def load_submission(path: Path, assignment: str) -> Submission:
    """Read the submission at `path` (file or folder) as code cells, without running any of it."""
    file = find_submission_file(path, assignment)
    if file.suffix.lower() == ".py":
        data = _read_bytes(file, MAX_SOURCE_BYTES)
        cells: tuple[SourceCell, ...] = (SourceCell(_decode(data, file.name), file.name, 1),)
        kind = "py"
    else:
        data = _read_bytes(file, MAX_NOTEBOOK_BYTES)
        cells = _notebook_cells(_read_notebook(data, file.name), file.name)
        kind = "ipynb"
    return Submission(path=file, kind=kind, cells=cells, digest=hashlib.sha256(data).hexdigest())
