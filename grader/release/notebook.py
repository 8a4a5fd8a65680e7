"""Build the student's notebook from a reference module (solutions cut, check cells tagged)."""

from __future__ import annotations

import ast
import re
import textwrap

import nbformat
from nbformat import v4

from grader.release.cells import Cell, ReleaseError, parse_cells
from grader.release.stub import BEGIN as BEGIN_SOLUTION
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
    refuse_bare_asserts(cell, filename)
    return _trim_blank_lines(textwrap.dedent("\n".join(body)))


def refuse_bare_asserts(cell: Cell, filename: str) -> None:
    """Raise ReleaseError for an assert without a message in a worked example: when it fails, the student would see
    a bare AssertionError, not what differed."""
    for node in ast.walk(ast.parse(cell.text, filename)):
        if isinstance(node, ast.Assert) and node.msg is None:
            raise ReleaseError(
                f"{filename}, line {cell.line + node.lineno - 1}: an assert without a message in a worked example; "
                "say what differed (assert got == 4, f\"expected 4, got {got}\"), or compare with np.testing's "
                "assert_equal, assert_array_equal or assert_allclose, which do"
            )


def cell_text(original: Cell, cut: Cell, filename: str) -> str:
    """What a cell shows in the notebook: markdown without its comment marks, a check cell's worked example, or
    the code with its solutions cut."""
    if original.kind == "markdown":
        return markdown_text(original, filename)
    if original.kind == "check":
        return check_text(original, filename)
    return _trim_blank_lines(cut.text)


def _cell_id(name: str, index: int) -> str:
    """A stable nbformat 4.5 cell id (1-64 characters of [A-Za-z0-9_-]) so output is byte-identical."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", name)[:50] or "cell"
    return f"{safe}-{index}"


def _body_cells(source: str, filename: str) -> list[Cell]:
    """The cells of a source other than its header."""
    return [cell for cell in parse_cells(source, filename) if cell.kind != "header"]


def graded_functions(name: str) -> tuple[str, ...]:
    """The functions the assignment's suite grades (none when no suite of that name is found)."""
    from grader.suites import get_suite

    try:
        return get_suite(name).functions
    except KeyError:
        return ()


def defined_names(code: str) -> list[str]:
    """The functions and classes a code cell defines at its top level, in order."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


def grader_cell(function: str) -> str:
    """The cell that ends an exercise: the grader's checks of one function, on the cells run so far."""
    return f'import grader\n\ngrader.check("{function}")'


def with_grader_cells(cells: list[tuple[Cell, str]], graded: tuple[str, ...]) -> list[tuple[Cell | None, str]]:
    """Each exercise (a code cell with a solution to write, and the check cell right after it) followed by one
    ``grader.check`` cell per graded function it defines."""
    out: list[tuple[Cell | None, str]] = []
    pending: list[str] = []
    for original, text in cells:
        if pending and original.kind != "check":
            out += [(None, grader_cell(function)) for function in pending]
            pending = []
        out.append((original, text))
        if original.kind == "code" and BEGIN_SOLUTION in original.text:
            pending = [name for name in defined_names(text) if name in graded]
    return out + [(None, grader_cell(function)) for function in pending]


def make_notebook(source: str, name: str, filename: str = "<reference>") -> nbformat.NotebookNode:
    """The student's notebook for a reference module: markdown, code (solutions cut), tagged check cells, and a
    ``grader.check`` cell after each exercise.

    The header is dropped and empty cells are left out; the result is validated against nbformat 4.
    """
    # make_stub keeps every cell marker, so the k-th cell of the stub is the k-th cell of the
    # reference: code comes from the stub (solutions cut), the rest from the reference so that
    # error messages carry the reference's line numbers.
    pairs = zip(_body_cells(source, filename), _body_cells(make_stub(source, filename), filename), strict=True)
    texts = [(original, cell_text(original, cut, filename)) for original, cut in pairs]
    cells = []
    for original, text in with_grader_cells([(o, t) for o, t in texts if t.strip()], graded_functions(name)):
        kind = original.kind if original else "grader"
        maker = v4.new_markdown_cell if kind == "markdown" else v4.new_code_cell
        metadata = {"tags": [kind]} if kind in ("check", "grader") else {}
        cells.append(maker(text, id=_cell_id(name, len(cells)), metadata=metadata))
    notebook = v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
    )
    nbformat.validate(notebook)
    return notebook
