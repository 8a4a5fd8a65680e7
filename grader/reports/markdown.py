"""The Markdown feedback report (CommonMark with GitHub pipe tables): the same view as the HTML report.

Escaping is on by default: every ``{{ value }}`` in the template passes through ``escape_inline`` unless a
filter here built it as Markup (fences, code spans, tables, image URIs), so student text cannot open a link,
raw HTML, a table cell or a code block of its own.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Sequence

import jinja2
from markupsafe import Markup

from grader.reports import plots
from grader.reports.html import TEMPLATES
from grader.reports.view import Cell, CheckView, LayerRow, Slice, report_view, summary
from grader.results import GradeReport
from grader.sandbox.printable import printable

SPECIAL = re.compile(r"[\\`*\[\]<>|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
BLOCK_MARK = re.compile(r"^( ?)([-+=#])")
LIST_NUMBER = re.compile(r"^( ?\d{1,9})([.)])(?=\s|$)")


def render_markdown(report: GradeReport, instructor: bool = False) -> str:
    """The whole report as one Markdown document: the student's view, or the instructor's (repairs in full)."""
    return printable(environment().get_template("report.md.j2").render(view=report_view(report, instructor)))


def render_check_markdown(check: CheckView) -> str:
    """One check's section of the Markdown report on its own (a Gradescope test's output)."""
    return printable(environment().get_template("_check.md.j2").render(check=check)).strip() + "\n"


def summary_markdown(report: GradeReport) -> str:
    """The score line and what loading the code said, as Markdown (the top of a Gradescope result)."""
    lines = [escape_inline(summary(report))] + [f"- Loading your code: {escape_inline(m)}"
                                                for m in report.load_messages]
    if report.load_output.strip():
        lines.append("What your code printed while it loaded:\n\n" + fence(report.load_output))
    return "\n\n".join(lines)


@functools.cache
def environment() -> jinja2.Environment:
    """The Markdown template environment: Markdown escaping of every expression by default, undefined names
    an error."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, finalize=escape_inline,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(fence=fence, code=code, codes=codes, cell=lambda text: Markup(escape_cell(text)),
                       pipe_table=pipe_table, layer_table=layer_table, gradient_table=gradient_table,
                       data_uri=image_uri)
    return env


def escape_inline(value: Any) -> str:
    """Text as inline Markdown that shows literally: one line, punctuation that could start markup
    backslash-escaped. Markup built by this module's filters passes unchanged."""
    if isinstance(value, Markup):
        return str(value)
    return LIST_NUMBER.sub(r"\1\\\2", BLOCK_MARK.sub(r"\1\\\2", escape_cell(value)))


def escape_cell(value: Any) -> str:
    """Text as one table cell or mid-line Markdown: every run of white space one space (so no new block can
    start), inline markup and pipes backslash-escaped."""
    return SPECIAL.sub(lambda m: "\\" + m.group(), re.sub(r"\s+", " ", str(value)))


def fence(text: str, language: str = "text") -> Markup:
    """A fenced code block around ``text``, its fence longer than any run of backticks inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return Markup(f"{ticks}{language}\n{text.rstrip()}\n{ticks}")


def code(text: str) -> Markup:
    """An inline code span around ``text`` (one line), delimited by more backticks than any run inside."""
    line = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") or not line.strip() else ""
    return Markup(f"{ticks}{pad}{line}{pad}{ticks}")


def codes(names: Sequence[str]) -> Markup:
    """Names as code spans separated by commas: ``fit``, ``evaluate``."""
    return Markup(", ".join(map(code, names)))


def pipe_table(piece: Slice, title: str) -> Markup:
    """A slice as a pipe table: the caption in the corner, column indices on top, row indices down the side;
    differing entries in bold, the largest error also marked with a dagger."""
    header = [escape_cell(title + piece.caption), *map(str, piece.columns)]
    rows = [[str(r) if len(piece.rows) > 1 else "", *map(cell_text, row)] for r, row in enumerate(piece.rows)]
    return Markup(table(header, rows, ["---:"] * len(header)))


def cell_text(cell: Cell) -> str:
    """One array entry for a pipe table: bold when it differs, with a dagger at the largest error."""
    text = escape_cell(cell.text)
    text = f"**{text}**" if cell.differs else text
    return text + " \u2020" if cell.worst else text


def layer_table(rows: Sequence[LayerRow]) -> Markup:
    """The student's layers next to the specified network's as one pipe table; rows that disagree are marked."""
    header = ["", "your layer", "output shape", "parameters", "expected layer", "output shape", "parameters"]
    body = [["\u2260" if row.differs else "", *map(escape_cell, row.yours), *map(escape_cell, row.expected)]
            for row in rows]
    return Markup(table(header, body, [":---:", "---", "---", "---:", "---", "---", "---:"]))


def gradient_table(rows: Sequence[tuple[str, str, str]]) -> Markup:
    """Each gradient's largest error against autograd and against central differences, as a pipe table."""
    header = ["gradient", "vs PyTorch autograd", "vs central differences"]
    return Markup(table(header, [list(map(escape_cell, row)) for row in rows], ["---", "---:", "---:"]))


def table(header: list[str], rows: list[list[str]], align: list[str]) -> str:
    """A GitHub pipe table from cells that are already escaped."""
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def image_uri(svg: str) -> Markup:
    """The grader's own SVG as a ``data:`` URI for an image link (base64 holds no Markdown syntax)."""
    return Markup(plots.data_uri(str(svg)))
