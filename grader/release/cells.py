"""Parse the percent-cell format of reference modules (see docs/reference-format.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

CELL_KINDS = {"": "code", "[markdown]": "markdown", "[check]": "check"}
_MARKER = re.compile(r"^# %%(?P<rest>.*)$")


class ReleaseError(ValueError):
    """A reference module cannot be cut into a stub and a notebook; the message names file and line."""


@dataclass(frozen=True)
class Cell:
    """One cell of a reference module: its kind, its text (marker line excluded), its first line."""

    kind: str  # "header" | "markdown" | "code" | "check"
    text: str
    line: int  # 1-based line number of the cell's first text line in the source


def marker_kind(line: str, filename: str, lineno: int) -> str | None:
    """The cell kind a `# %%` marker line starts, or None for an ordinary line.

    Raises ReleaseError for a marker with an unknown tag, so typos do not silently become code.
    """
    match = _MARKER.match(line.rstrip())
    if match is None:
        return None
    tag = match.group("rest").strip()
    if tag not in CELL_KINDS:
        known = ", ".join(repr(f"# %% {t}".rstrip()) for t in CELL_KINDS)
        raise ReleaseError(
            f"{filename}, line {lineno}: unknown cell marker {line.strip()!r}; "
            f"use one of {known}"
        )
    return CELL_KINDS[tag]


def parse_cells(source: str, filename: str = "<reference>") -> list[Cell]:
    """Split a percent-format source into cells, in order.

    Text before the first marker becomes a "header" cell (only when there is any).
    """
    cells: list[Cell] = []
    kind, start, body = "header", 1, []
    for lineno, line in enumerate(source.splitlines(), start=1):
        new_kind = marker_kind(line, filename, lineno)
        if new_kind is None:
            body.append(line)
            continue
        if kind != "header" or any(text.strip() for text in body):
            cells.append(Cell(kind, "\n".join(body), start))
        kind, start, body = new_kind, lineno + 1, []
    if kind != "header" or any(text.strip() for text in body):
        cells.append(Cell(kind, "\n".join(body), start))
    return cells
