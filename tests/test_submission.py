"""Tests for reading student submissions (.py, .ipynb, folders) as code cells, without running them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.submission import MAX_SOURCE_BYTES, SourceCell, SubmissionError, find_submission_file, load_submission


def write_notebook(path: Path, cells: list, **metadata: object) -> Path:
    """Write a v4 notebook with the given cells to path."""
    notebook = v4.new_notebook(cells=cells, metadata=metadata)
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    return path


def sources(path: Path) -> list[str]:
    """The code of each cell of a submission."""
    return [cell.source for cell in load_submission(path, "conv").cells]


# --- finding the file ---------------------------------------------------------------------------


def test_a_file_path_is_used_as_is(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("x = 1\n")
    assert find_submission_file(tmp_path / "mine.py", "conv") == tmp_path / "mine.py"


def test_folder_prefers_assignment_py_then_ipynb(tmp_path: Path) -> None:
    write_notebook(tmp_path / "conv.ipynb", [])
    (tmp_path / "other.py").write_text("x = 1\n")
    assert find_submission_file(tmp_path, "conv") == tmp_path / "conv.ipynb"
    (tmp_path / "conv.py").write_text("x = 1\n")
    assert find_submission_file(tmp_path, "conv") == tmp_path / "conv.py"


def test_folder_with_one_candidate_ignores_hidden_and_cache(tmp_path: Path) -> None:
    (tmp_path / "my_solution.py").write_text("x = 1\n")
    (tmp_path / ".hidden.py").write_text("x = 2\n")
    (tmp_path / "notes.txt").write_text("hi\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.py").write_text("x = 3\n")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_notebook(tmp_path / ".ipynb_checkpoints" / "conv-checkpoint.ipynb", [])
    assert find_submission_file(tmp_path, "conv") == tmp_path / "my_solution.py"


def test_folder_with_several_candidates_lists_them(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    write_notebook(tmp_path / "b.ipynb", [])
    expected = r"several possible submissions \(a\.py, b\.ipynb\).*conv\.py or conv\.ipynb"
    with pytest.raises(SubmissionError, match=expected):
        find_submission_file(tmp_path, "conv")


def test_empty_folder_names_the_folder_and_the_expected_file(tmp_path: Path) -> None:
    folder = tmp_path / "student42"
    folder.mkdir()
    with pytest.raises(SubmissionError, match=r"no \.py or \.ipynb file in student42 \(it is empty\).*conv\.py"):
        load_submission(folder, "conv")


def test_folder_without_code_lists_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    with pytest.raises(SubmissionError, match=r"it holds: report\.pdf"):
        find_submission_file(tmp_path, "conv")


def test_missing_path_and_wrong_suffix(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"nothing\.py does not exist"):
        find_submission_file(tmp_path / "nothing.py", "conv")
    (tmp_path / "conv.txt").write_text("x = 1\n")
    with pytest.raises(SubmissionError, match=r"conv\.txt is not a \.py file"):
        find_submission_file(tmp_path / "conv.txt", "conv")


# --- .py files ---------------------------------------------------------------------------------------


def test_py_file_is_one_cell_with_digest(tmp_path: Path) -> None:
    path = tmp_path / "conv.py"
    data = "def f():\n    return 'é'\n".encode()
    path.write_bytes(data)
    submission = load_submission(tmp_path, "conv")
    assert submission.kind == "py"
    assert submission.path == path
    assert submission.cells == (SourceCell("def f():\n    return 'é'\n", "conv.py", 1),)
    assert submission.digest == hashlib.sha256(data).hexdigest()


def test_py_file_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "conv.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\ny = 2\r\n")
    assert sources(path) == ["x = 1\ny = 2\n"]


def test_py_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "conv.py"
    path.write_bytes(b"x = '\xff\xfe'\n")
    with pytest.raises(SubmissionError, match=r"^conv\.py is not UTF-8 text: "):
        load_submission(path, "conv")


def test_py_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "conv.py"
    path.write_bytes(b"#" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(SubmissionError, match=r"conv\.py is larger than 2 MiB"):
        load_submission(path, "conv")


def test_symbolic_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("secret\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "conv.py").symlink_to(target)
    with pytest.raises(SubmissionError, match=r"conv\.py is a symbolic link"):
        load_submission(tmp_path / "sub", "conv")


def test_py_file_is_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "conv.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    load_submission(tmp_path, "conv")
    assert not marker.exists()


# --- notebooks ---------------------------------------------------------------------------------------


def test_notebook_code_cells_in_order_with_labels(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "conv.ipynb",
        [
            v4.new_markdown_cell("# Title"),
            v4.new_code_cell("import numpy as np"),
            v4.new_raw_cell("raw"),
            v4.new_code_cell("def f():\n    return 1"),
        ],
    )
    submission = load_submission(path, "conv")
    assert submission.kind == "ipynb"
    assert submission.cells == (
        SourceCell("import numpy as np", "conv.ipynb, cell 2", 1),
        SourceCell("def f():\n    return 1", "conv.ipynb, cell 4", 1),
    )
    assert submission.digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_notebook_skips_check_cells(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "conv.ipynb",
        [
            v4.new_code_cell("x = 1"),
            v4.new_code_cell("assert f(1) == 2", metadata={"tags": ["check"]}),
            v4.new_code_cell("y = 2", metadata={"tags": ["other"]}),
        ],
    )
    assert sources(path) == ["x = 1", "y = 2"]


def test_notebook_magics_and_shell_lines_keep_line_numbers(tmp_path: Path) -> None:
    code = "%matplotlib inline\n!pip install numpy\nimport numpy as np\nif True:\n    %time x = 1\n    !ls\ny = 3\nh?"
    path = write_notebook(tmp_path / "conv.ipynb", [v4.new_code_cell(code)])
    [result] = sources(path)
    assert result == "\n\nimport numpy as np\nif True:\n    pass\n    pass\ny = 3\nh?"
    assert len(result.split("\n")) == len(code.split("\n"))


def test_notebook_continuation_lines_are_not_magics(tmp_path: Path) -> None:
    code = 'ok = (a\n      != b)\nr = a \\\n    % 3\ns = """\n!not shell\n"""\nt = [1,\n%2]'
    path = write_notebook(tmp_path / "conv.ipynb", [v4.new_code_cell(code)])
    assert sources(path) == [code]


def test_notebook_cell_magic_drops_the_whole_cell(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "conv.ipynb",
        [v4.new_code_cell("%%timeit\nx = 1"), v4.new_code_cell("\n%%bash\nls"), v4.new_code_cell("y = 2")],
    )
    submission = load_submission(path, "conv")
    assert [(cell.source, cell.label) for cell in submission.cells] == [("y = 2", "conv.ipynb, cell 3")]


def test_notebook_outputs_and_kernel_metadata_are_ignored(tmp_path: Path) -> None:
    cell = v4.new_code_cell("x = 1", execution_count=3)
    cell.outputs = [v4.new_output("stream", name="stdout", text="all tests passed: 100/100\n")]
    path = write_notebook(tmp_path / "conv.ipynb", [cell], kernelspec={"name": "evil", "display_name": "x"})
    assert sources(path) == ["x = 1"]


def test_notebook_with_schema_problems_is_still_read(tmp_path: Path) -> None:
    raw = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [
            {"cell_type": "code", "source": ["x = 1\n", "y = 2"]},
            {"cell_type": "code", "source": "z = 3", "metadata": [], "outputs": "junk", "execution_count": "?"},
        ],
    }
    path = tmp_path / "conv.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert sources(path) == ["x = 1\ny = 2", "z = 3"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"cells": [{"cell_type": "code", "source": "x = 1"', r"not valid JSON"),
        (b'{"name": "conv", "version": 1}', r"JSON, but not a Jupyter notebook"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), r"not UTF-8 text"),
    ],
    ids=["truncated", "json-not-notebook", "binary-garbage"],
)
def test_unreadable_notebooks_say_what_to_do(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "conv.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=rf"^conv\.ipynb is not a readable notebook \({reason}.*File > Download"):
        load_submission(tmp_path, "conv")


def test_binary_garbage_py_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "conv.py").write_bytes(bytes(range(128, 256)))
    with pytest.raises(SubmissionError, match=r"conv\.py"):
        load_submission(tmp_path, "conv")
