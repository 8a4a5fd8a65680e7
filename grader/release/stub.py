"""Cut the solution blocks out of a reference module to make the student's stub."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from grader.release.cells import ReleaseError, marker_kind

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_LOOKS_LIKE_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END)[\s_-]*SOLUTION\b", re.IGNORECASE)


@dataclass(frozen=True)
class SolutionBlock:
    """A `# BEGIN SOLUTION` ... `# END SOLUTION` block: 1-based marker lines, the BEGIN line's indent."""

    begin: int
    end: int
    indent: str


def find_solution_blocks(source: str, filename: str = "<reference>") -> list[SolutionBlock]:
    """Locate the solution blocks, in order.

    Raises ReleaseError for a misspelt, unbalanced or nested marker, or a block that spans cells,
    since each of these would leak the solution or break the stub.
    """
    blocks: list[SolutionBlock] = []
    opened: tuple[int, str] | None = None
    for lineno, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        where = f"{filename}, line {lineno}"
        if stripped == BEGIN:
            if opened is not None:
                raise ReleaseError(
                    f"{where}: '{BEGIN}' inside the solution block opened at line {opened[0]}; "
                    f"blocks cannot be nested: close the first with '{END}'"
                )
            opened = (lineno, line[: len(line) - len(line.lstrip())])
        elif stripped == END:
            if opened is None:
                raise ReleaseError(
                    f"{where}: '{END}' without a '{BEGIN}' before it; add the BEGIN marker or remove this line"
                )
            blocks.append(SolutionBlock(opened[0], lineno, opened[1]))
            opened = None
        elif _LOOKS_LIKE_MARKER.match(line):
            raise ReleaseError(
                f"{where}: {stripped!r} looks like a solution marker but is not exactly "
                f"'{BEGIN}' or '{END}'; fix the spelling so the solution is cut"
            )
        elif opened is not None and marker_kind(line, filename, lineno) is not None:
            raise ReleaseError(
                f"{where}: a cell marker inside the solution block opened at line {opened[0]}; "
                f"close the block with '{END}' before the next cell"
            )
    if opened is not None:
        raise ReleaseError(
            f"{filename}, line {opened[0]}: '{BEGIN}' has no matching '{END}'; add it after the solution"
        )
    return blocks


def _function_spans(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and method, outer before inner."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _enclosing_function(spans: list[tuple[int, int, str]], lineno: int) -> str | None:
    """Qualified name of the innermost function whose body holds line `lineno`, or None at module level."""
    names = [name for first, last, name in spans if first < lineno <= last]
    return names[-1] if names else None


def _first_code_line(lines: list[str], block: SolutionBlock) -> int | None:
    """The first line inside the block that is neither blank nor a comment (1-based), or None."""
    for lineno in range(block.begin + 1, block.end):
        stripped = lines[lineno - 1].strip()
        if stripped and not stripped.startswith("#"):
            return lineno
    return None


def _replacement(
    lines: list[str], block: SolutionBlock, spans: list[tuple[int, int, str]], filename: str
) -> str | None:
    """The line that replaces a block: `raise NotImplementedError` in a function, None (removed) at column 0."""
    code_line = _first_code_line(lines, block)
    if code_line is None:
        raise ReleaseError(
            f"{filename}, line {block.begin}: the solution block holds no code; remove the markers"
        )
    function = _enclosing_function(spans, code_line)
    if not block.indent:
        if function is not None:
            raise ReleaseError(
                f"{filename}, line {block.begin}: the solution block is inside {function}() but its "
                "marker is at column 0; indent the markers like the function body"
            )
        return None
    if function is None:
        raise ReleaseError(
            f"{filename}, line {block.begin}: an indented solution block outside any function; "
            "move it into a function body or to column 0"
        )
    return f'{block.indent}raise NotImplementedError("{function}: write your solution here")'


def _trailing_blank_lines(lines: list[str]) -> int:
    """How many blank lines end `lines`."""
    count = 0
    for line in reversed(lines):
        if line.strip():
            break
        count += 1
    return count


def make_stub(source: str, filename: str = "<reference>") -> str:
    """The student's stub: the reference with its solution blocks cut (see docs/reference-format.md).

    A block removed at column 0 leaves at most two blank lines; the result must itself compile.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise ReleaseError(
            f"{filename}, line {exc.lineno}: the reference is not valid Python ({exc.msg}); fix it first"
        ) from exc
    lines = source.splitlines()
    spans = _function_spans(tree)
    blocks = {block.begin: block for block in find_solution_blocks(source, filename)}
    out: list[str] = []
    squeeze = False
    lineno = 1
    while lineno <= len(lines):
        block = blocks.get(lineno)
        if block is not None:
            replacement = _replacement(lines, block, spans, filename)
            if replacement is None:
                squeeze = True
            else:
                out.append(replacement)
            lineno = block.end + 1
            continue
        line = lines[lineno - 1]
        lineno += 1
        if line.strip():
            squeeze = False
        elif squeeze and _trailing_blank_lines(out) >= 2:
            continue
        out.append(line)
    stub = "\n".join(out).rstrip("\n ") + "\n"
    try:
        ast.parse(stub, filename=filename)
    except SyntaxError as exc:
        raise ReleaseError(
            f"{filename}: the stub cut from it is not valid Python (stub line {exc.lineno}: {exc.msg}); "
            "check that each solution block holds whole statements"
        ) from exc
    return stub
