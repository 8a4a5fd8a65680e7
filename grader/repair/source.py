"""Where a graded function (or class) is defined in a submission's cells, and how rewrites of its source become
a candidate: each rewrite replaces spans of the cell's text, so everything else stays as the student wrote it
(their names, spacing and line numbers), and a diff of the change reads like one they could have made.

Student code is only parsed here (``ast``), never run.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from grader.submission import SourceCell, Submission

DefinitionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Site:
    """A span of a cell's text (lines from 1, columns in characters, end exclusive) and what replaces it."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str

    def overlaps(self, other: "Site") -> bool:
        return (self.line, self.column) < (other.end_line, other.end_column) and \
            (other.line, other.column) < (self.end_line, self.end_column)


@dataclass(frozen=True)
class Definition:
    """The definition in force of one graded name: the last top-level ``def``/``class`` of that name in the
    cells (a later cell replaces an earlier one when the child runs them in order)."""

    name: str
    submission: Submission
    cell_index: int
    cell: SourceCell
    node: DefinitionNode
    lines: tuple[str, ...]  # the cell's source, line by line

    @property
    def start(self) -> int:
        """The cell line where the definition starts (its first decorator)."""
        return min([self.node.lineno] + [d.lineno for d in self.node.decorator_list])

    def segment(self, node: ast.AST) -> str:
        """The source text of a node of this definition."""
        return between(self.lines, *position(self.lines, node))

    def where(self, cell_line: int) -> str:
        """A cell line as the student finds it: "conv.py, line 14" or "conv.ipynb, cell 7, line 3"."""
        return f"{self.cell.label}, line {self.cell.first_line + cell_line - 1}"

    def rewritten(self, sites: Sequence[Site]) -> str:
        """The definition's own text with ``sites`` replaced (what the repair search runs in its child)."""
        end = self.node.end_lineno or self.node.lineno
        text = splice(self.lines, sites)
        return "\n".join(text.split("\n")[self.start - 1:end + text.count("\n") - len(self.lines) + 1])

    def candidate_cell(self, sites: Sequence[Site]) -> SourceCell:
        """The rewritten definition as a cell of its own, numbered from the cell line where it starts."""
        return SourceCell(self.rewritten(sites), self.cell.label, self.cell.first_line + self.start - 1)

    def changed_submission(self, sites: Sequence[Site]) -> Submission:
        """The submission with ``sites`` spliced into this definition's cell: what the student would hand in."""
        cells = list(self.submission.cells)
        cells[self.cell_index] = replace(self.cell, source=splice(self.lines, sites))
        return replace(self.submission, cells=tuple(cells))

    def diff(self, sites: Sequence[Site]) -> str:
        """A unified diff of the definition, its lines numbered as in the student's file."""
        before = list(self.lines)
        after = splice(self.lines, sites).split("\n")
        offset = self.cell.first_line - 1
        lines = []
        for group in difflib.SequenceMatcher(None, before, after).get_grouped_opcodes(1):
            first, last = group[0], group[-1]
            lines.append(f"@@ -{first[1] + 1 + offset},{last[2] - first[1]} "
                         f"+{first[3] + 1 + offset},{last[4] - first[3]} @@")
            for tag, i1, i2, j1, j2 in group:
                lines += [f" {line}" for line in before[i1:i2]] if tag == "equal" else []
                lines += [f"-{line}" for line in before[i1:i2]] if tag != "equal" else []
                lines += [f"+{line}" for line in after[j1:j2]] if tag != "equal" else []
        return "\n".join([f"--- {self.cell.label}", f"+++ {self.cell.label} (repaired)", *lines])


def find_definition(submission: Submission, name: str) -> Definition | None:
    """The definition of ``name`` in force after every cell ran, or None (a cell that does not parse is left out:
    it defined nothing)."""
    found = None
    for index, cell in enumerate(submission.cells):
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = Definition(name, submission, index, cell, node, tuple(cell.source.split("\n")))
    return found


def position(lines: Sequence[str], node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    """A node's start and end as (line, character column); ``ast`` counts columns in UTF-8 bytes."""
    def column(line: int, byte: int) -> int:
        return len(lines[line - 1].encode("utf-8")[:byte].decode("utf-8", "replace"))

    end_line = node.end_lineno or node.lineno
    return ((node.lineno, column(node.lineno, node.col_offset)),
            (end_line, column(end_line, node.end_col_offset or 0)))


def site(lines: Sequence[str], node: ast.AST, text: str) -> Site:
    """A site replacing ``node``'s text with ``text``."""
    (line, column), (end_line, end_column) = position(lines, node)
    return Site(line, column, end_line, end_column, text)


def splice(lines: Sequence[str], sites: Iterable[Site]) -> str:
    """The text with each site's span replaced (sites must not overlap)."""
    text, at = "\n".join(lines), offsets(lines)
    for piece in sorted(sites, key=lambda s: (s.line, s.column), reverse=True):
        text = text[:at(piece.line, piece.column)] + piece.text + text[at(piece.end_line, piece.end_column):]
    return text


def between(lines: Sequence[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    """The text from ``start`` to ``end`` (each a line and a character column)."""
    at = offsets(lines)
    return "\n".join(lines)[at(*start):at(*end)]


def offsets(lines: Sequence[str]) -> Callable[[int, int], int]:
    """Where a (line, column) lies in the joined text."""
    starts, total = [], 0
    for line in lines:
        starts.append(total)
        total += len(line) + 1
    return lambda line, column: starts[line - 1] + column
