"""Build the student's notebook from a reference module (solutions cut, check cells tagged)."""

from __future__ import annotations

import re
import textwrap

import nbformat
from nbformat import v4

from grader.release.cells import Cell, ReleaseError, parse_cells
from grader.release.stub import make_stub

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
_GUARDS = {'if __name__ == "__main__":', "if __name__ == '__main__':"}


def _trim_blank_lines(text: str) -> str:
    """The text without its leading and trailing blank lines (indentation of the first line kept)."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def markdown_text(cell: Cell, filename: str) -> str:
    """A markdown cell's text: each comment line without its leading "# " (or "#")."""
    out = []
    for offset, line in enumerate(cell.text.splitlines()):
        if not line.strip():
            out.append("")
        elif line.startswith("# "):
            out.append(line[2:])
        elif line.startswith("#"):
            out.append(line[1:])
        else:
            raise ReleaseError(
                f"{filename}, line {cell.line + offset}: a markdown cell line that is not a comment; "
                "start it with '# ' or begin a code cell with '# %%'"
            )
    return _trim_blank_lines("\n".join(out))


def check_text(cell: Cell, filename: str) -> str:
    """A check cell's code for the notebook: the `if __name__ == "__main__":` guard removed, body dedented."""
    lines = cell.text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip()]
    if not starts or lines[starts[0]].rstrip() not in _GUARDS:
        raise ReleaseError(
            f"{filename}, line {cell.line + (starts[0] if starts else 0)}: a check cell must be one "
            "'if __name__ == \"__main__\":' block; put the worked example inside that guard"
        )
    body = lines[starts[0] + 1 :]
    for offset, line in enumerate(body, start=starts[0] + 1):
        if line.strip() and not line[:1].isspace():
            raise ReleaseError(
                f"{filename}, line {cell.line + offset}: code after the check cell's "
                "'if __name__ == \"__main__\":' block; indent it into the block or move it to a code cell"
            )
    return _trim_blank_lines(textwrap.dedent("\n".join(body)))


def _cell_id(name: str, index: int) -> str:
    """A stable nbformat 4.5 cell id (1-64 characters of [A-Za-z0-9_-]) so output is byte-identical."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", name)[:50] or "cell"
    return f"{safe}-{index}"


def _body_cells(source: str, filename: str) -> list[Cell]:
    """The cells of a source other than its header."""
    return [cell for cell in parse_cells(source, filename) if cell.kind != "header"]


def make_notebook(source: str, name: str, filename: str = "<reference>") -> nbformat.NotebookNode:
    """The student's notebook for a reference module: markdown, code (solutions cut) and tagged check cells.

    The header is dropped and empty cells are left out; the result is validated against nbformat 4.
    """
    # make_stub keeps every cell marker, so the k-th cell of the stub is the k-th cell of the
    # reference: code comes from the stub (solutions cut), the rest from the reference so that
    # error messages carry the reference's line numbers.
    cells = []
    for original, cut in zip(
        _body_cells(source, filename), _body_cells(make_stub(source, filename), filename), strict=True
    ):
        if original.kind == "markdown":
            text, metadata, maker = markdown_text(original, filename), {}, v4.new_markdown_cell
        elif original.kind == "check":
            text, metadata, maker = check_text(original, filename), {"tags": ["check"]}, v4.new_code_cell
        else:
            text, metadata, maker = _trim_blank_lines(cut.text), {}, v4.new_code_cell
        if text.strip():
            cells.append(maker(text, id=_cell_id(name, len(cells)), metadata=metadata))
    notebook = v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
    )
    nbformat.validate(notebook)
    return notebook
