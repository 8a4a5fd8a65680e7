"""grader similarity flags shared code that renaming and reordering do not hide, leaves independent solutions and
the released stub alone, reads notebooks by their code cells, and writes a report a browser shows."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS, as_notebook

pytest.importorskip("copydetect", reason="grader similarity needs copydetect: pip install '.[similarity]'")

from grader.similarity.fingerprints import Code, pairs  # noqa: E402
from grader.similarity.report import released_stub, segments  # noqa: E402

CORRECT = (SUBMISSIONS / "conv" / "correct_loops.py").read_text()
INDEPENDENT = (ROOT / "tests" / "fixtures" / "students" / "conv" / "einsum_sliding_window.py").read_text()
STUB = released_stub("conv", ROOT)


def disguised(source: str) -> str:
    """The same code with its local names renamed and its functions in the opposite order."""
    for old, new in {"x_pad": "padded", "out": "result", "stride": "step", "dout": "upstream", "cache": "saved",
                     "total": "acc", "H_out": "rows", "W_out": "cols"}.items():
        source = re.sub(rf"\b{old}\b", new, source)
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    tree.body = [node for node in tree.body if not isinstance(node, ast.FunctionDef)] + functions[::-1]
    return ast.unparse(tree)


def similarity(first: str, second: str, stub: str = STUB) -> tuple[float, float]:
    (pair,) = pairs([Code("first", first), Code("second", second)], [], stub)
    return pair.shares


def test_renamed_variables_and_reordered_functions_still_match() -> None:
    copy = disguised(CORRECT)
    assert copy != CORRECT and "padded" in copy
    assert min(similarity(CORRECT, copy)) > 0.8


def test_two_independent_correct_solutions_do_not_match() -> None:
    assert max(similarity(CORRECT, INDEPENDENT)) < 0.3


def test_the_released_stub_never_counts() -> None:
    assert max(similarity(STUB, STUB)) == 0
    assert min(similarity(STUB, STUB, stub="")) == 1


def test_a_past_class_is_compared_too_but_not_with_itself() -> None:
    found = pairs([Code("now", CORRECT)], [Code("2025/then", disguised(CORRECT), past=True),
                                           Code("2025/other", INDEPENDENT, past=True)], STUB)
    assert [(pair.first.student, pair.second.student) for pair in found][0] == ("now", "2025/then")
    assert len(found) == 2


def test_segments_mark_exactly_the_matching_regions() -> None:
    assert segments("abcdefgh", [(1, 3), (2, 5), (7, 8)]) == [("a", False), ("bc", True), ("de", True),
                                                              ("fg", False), ("h", True)]


@pytest.mark.slow
def test_the_command_reads_notebooks_and_writes_a_report_that_flags_without_accusing(tmp_path: Path) -> None:
    submissions = tmp_path / "class"
    submissions.mkdir()
    (submissions / "ann.py").write_text(CORRECT)
    copy = tmp_path / "bea.py"
    copy.write_text(disguised(CORRECT))
    as_notebook(copy, submissions / "bea.ipynb")
    (submissions / "cy.py").write_text(INDEPENDENT)
    (submissions / "dot.py").write_text("this is not python (")
    ran = subprocess.run([sys.executable, "-m", "grader.cli", "similarity", "conv", str(submissions), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert "1 pair at or above 50% shared code" in ran.stdout
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "This report flags; it does not accuse." in page and "<mark>" in page
    flagged = re.findall(r'<a href="#pair-\d+">(\w+)</a></td><td>(\w+)</td>', page)
    assert flagged == [("ann", "bea")]
