"""Tests for `grader release`: stubs, notebooks and the sync check, on small sample references."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, SUBMISSIONS
from grader.release import ReleaseError, make_notebook, make_stub, out_of_sync, parse_cells, release

SAMPLE = '''"""Sample assignment: adding things."""

# %% [markdown]
# # Adding things
#
# Write `add_one`.

# %%
import math


# BEGIN SOLUTION
def _helper(x):
    return x + 1
# END SOLUTION


# %%
def add_one(x: int) -> int:
    """Return x + 1."""
    # BEGIN SOLUTION
    return _helper(x)
    # END SOLUTION


class Counter:
    """Counts."""

    def step(self, n: int) -> int:
        """One step."""
        if n > 0:
            # BEGIN SOLUTION
            return n + 1
            # END SOLUTION
        return math.floor(0.5)


# %% [check]
if __name__ == "__main__":
    assert add_one(1) == 2, f"expected 2, got {add_one(1)}"

    print("add_one: worked example OK")
'''


def write_reference(root: Path, name: str, source: str) -> None:
    """Put a reference module into a fake course repository."""
    (root / "reference").mkdir(exist_ok=True)
    (root / "reference" / f"{name}.py").write_text(source, encoding="utf-8")


def test_parse_cells_kinds_and_text() -> None:
    cells = parse_cells(SAMPLE)
    assert [cell.kind for cell in cells] == ["header", "markdown", "code", "code", "check"]
    assert cells[0].text.startswith('"""Sample assignment')
    assert cells[1].line == 4
    assert "def add_one" in cells[3].text


def test_parse_cells_rejects_unknown_marker() -> None:
    with pytest.raises(ReleaseError, match=r"line 2: unknown cell marker"):
        parse_cells("x = 1\n# %% [markdwn]\n# text\n", "reference/bad.py")


def test_stub_cuts_solutions_keeps_signatures_and_docstrings() -> None:
    stub = make_stub(SAMPLE)
    assert "return _helper(x)" not in stub and "return n + 1" not in stub
    assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
    assert (
        'def add_one(x: int) -> int:\n    """Return x + 1."""\n'
        '    raise NotImplementedError("add_one: write your solution here")\n'
    ) in stub
    assert '            raise NotImplementedError("Counter.step: write your solution here")\n        return' in stub
    assert stub.startswith('"""Sample assignment: adding things."""')
    assert "# %% [markdown]" in stub and "# %% [check]" in stub
    assert 'if __name__ == "__main__":' in stub


def test_stub_removes_column_zero_blocks_without_blank_runs() -> None:
    stub = make_stub(SAMPLE)
    assert "_helper" not in stub
    assert "\n\n\n\n" not in stub
    assert "import math\n\n\n# %%\ndef add_one" in stub
    assert stub.endswith("\n") and not stub.endswith("\n\n")


def test_stub_compiles_and_cut_function_raises_naming_itself() -> None:
    stub = make_stub(SAMPLE)
    code = compile(stub, "sample.py", "exec")
    namespace: dict = {"__name__": "sample"}
    exec(code, namespace)
    with pytest.raises(NotImplementedError, match=r"^add_one: write your solution here$"):
        namespace["add_one"](1)
    with pytest.raises(NotImplementedError, match=r"^Counter.step: write your solution here$"):
        namespace["Counter"]().step(3)
    assert namespace["Counter"]().step(0) == 0


def test_stub_of_a_file_without_solutions_is_the_file() -> None:
    source = "# %%\nx = 1\n"
    assert make_stub(source) == source


def test_notebook_cells_kinds_sources_and_tags() -> None:
    notebook = make_notebook(SAMPLE, "sample")
    nbformat.validate(notebook)
    kinds = [(cell.cell_type, cell.metadata.get("tags")) for cell in notebook.cells]
    assert kinds == [("markdown", None), ("code", None), ("code", None), ("code", ["check"])]
    assert notebook.cells[0].source == "# Adding things\n\nWrite `add_one`."
    assert notebook.cells[1].source == "import math"
    assert "raise NotImplementedError" in notebook.cells[2].source
    assert "return _helper" not in notebook.cells[2].source
    assert notebook.cells[3].source == ('assert add_one(1) == 2, f"expected 2, got {add_one(1)}"\n\n'
                                        'print("add_one: worked example OK")')
    assert all("Sample assignment" not in cell.source for cell in notebook.cells)
    assert notebook.metadata.kernelspec.name == "python3"
    assert [cell.id for cell in notebook.cells] == ["sample-0", "sample-1", "sample-2", "sample-3"]


def test_notebook_check_cell_must_be_one_guarded_block() -> None:
    source = '# %%\nx = 1\n\n# %% [check]\nassert x == 1\n'
    with pytest.raises(ReleaseError, match=r"reference/bad.py, line 5: a check cell must be one"):
        make_notebook(source, "bad", "reference/bad.py")


def test_a_worked_example_assert_without_a_message_is_refused_with_file_and_line() -> None:
    source = SAMPLE.replace(', f"expected 2, got {add_one(1)}"', "")
    with pytest.raises(ReleaseError, match=r"reference/sample.py, line 40: an assert without a message in a worked "
                                           r"example; say what differed"):
        make_notebook(source, "sample", "reference/sample.py")


def test_a_failing_worked_example_in_the_released_notebook_says_what_differed() -> None:
    """The conv notebook's vertical-edge example, run on a conv_forward that flips the kernel."""
    notebook = nbformat.read(ROOT / "assignments" / "conv" / "conv.ipynb", as_version=4)
    example = next(cell.source for cell in notebook.cells
                   if cell.metadata.get("tags") == ["check"] and "vertical-edge" in cell.source)
    namespace: dict = {}
    for part in ("correct_loops.py", "mistakes/flipped_kernel.py"):
        exec((SUBMISSIONS / "conv" / part).read_text(), namespace)
    with pytest.raises(AssertionError) as failed:
        exec(example, namespace)
    assert "Mismatched elements: 14 / 16" in str(failed.value)
    assert "DESIRED: array([[ -5,  -4,   0,   8]," in str(failed.value)


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    write_reference(tmp_path, "sample", SAMPLE)
    first = {path: path.read_bytes() for path in release(tmp_path)}
    second = {path: path.read_bytes() for path in release(tmp_path)}
    assert first == second
    assert nbformat.writes(make_notebook(SAMPLE, "sample")) == nbformat.writes(make_notebook(SAMPLE, "sample"))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def f():\n    # BEGIN SOLUTION\n    return 1\n",
            r"reference/bad.py, line 2: '# BEGIN SOLUTION' has no matching",
        ),
        ("def f():\n    return 1\n    # END SOLUTION\n", r"reference/bad.py, line 3: '# END SOLUTION' without"),
        (
            "def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return 1\n"
            "    # END SOLUTION\n    # END SOLUTION\n",
            r"reference/bad.py, line 3: .*cannot be nested",
        ),
        (
            "def f():\n    #BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
            r"reference/bad.py, line 2: .*looks like a solution marker",
        ),
        (
            "# %%\ndef f():\n    # BEGIN SOLUTION\n    return 1\n\n# %%\n    # END SOLUTION\n",
            r"reference/bad.py, line 6: a cell marker inside the solution block opened at line 3",
        ),
    ],
)
def test_unbalanced_markers_raise_with_file_and_line(source: str, message: str) -> None:
    with pytest.raises(ReleaseError, match=message):
        make_stub(source, "reference/bad.py")


def test_release_writes_stub_and_notebook_per_assignment(tmp_path: Path) -> None:
    write_reference(tmp_path, "sample", SAMPLE)
    write_reference(tmp_path, "__init__", "")
    write_reference(tmp_path, "_shared", "x = 1\n")
    written = release(tmp_path)
    assert written == [tmp_path / "assignments/sample/sample.py", tmp_path / "assignments/sample/sample.ipynb"]
    assert written[0].read_text(encoding="utf-8") == make_stub(SAMPLE)
    notebook_text = written[1].read_text(encoding="utf-8")
    assert notebook_text.endswith("}\n")
    assert json.loads(notebook_text)["nbformat"] == 4
    ast.parse(written[0].read_text(encoding="utf-8"))


def test_release_writes_nothing_when_a_reference_is_broken(tmp_path: Path) -> None:
    write_reference(tmp_path, "good", SAMPLE)
    write_reference(tmp_path, "zbad", "def f():\n    # BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(ReleaseError, match=r"reference/zbad.py, line 2"):
        release(tmp_path)
    assert not (tmp_path / "assignments").exists()


def test_out_of_sync_is_empty_right_after_release(tmp_path: Path) -> None:
    write_reference(tmp_path, "sample", SAMPLE)
    release(tmp_path)
    (tmp_path / "assignments/sample/.ipynb_checkpoints").mkdir()
    (tmp_path / "assignments/sample/.ipynb_checkpoints/sample-checkpoint.ipynb").write_text("{}")
    assert out_of_sync(tmp_path) == []


def test_out_of_sync_reports_edited_missing_and_extra_files(tmp_path: Path) -> None:
    write_reference(tmp_path, "sample", SAMPLE)
    release(tmp_path)
    stub = tmp_path / "assignments/sample/sample.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    (tmp_path / "assignments/sample/sample.ipynb").unlink()
    (tmp_path / "assignments/old").mkdir()
    (tmp_path / "assignments/old/old.py").write_text("x = 1\n")
    problems = out_of_sync(tmp_path)
    assert len(problems) == 3
    assert problems[0].startswith("assignments/sample/sample.py differs")
    assert problems[1].startswith("assignments/sample/sample.ipynb is missing")
    assert problems[2].startswith("assignments/old/old.py is not generated from reference/")


def test_missing_reference_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match=r"no reference/ folder"):
        release(tmp_path)


@pytest.mark.parametrize("assignment", ["conv", "pool", "params", "lenet", "train", "im2col"])
def test_each_exercise_ends_with_a_grader_check_cell_for_each_function_it_defines(assignment: str) -> None:
    from grader.suites import get_suite

    root = Path(__file__).resolve().parents[1]
    cells = make_notebook((root / "reference" / f"{assignment}.py").read_text(), assignment).cells
    checks = [(index, cell.source) for index, cell in enumerate(cells) if cell.metadata.get("tags") == ["grader"]]
    checked = [source.rsplit('grader.check("', 1)[1].split('"')[0] for _, source in checks]
    assert sorted(checked) == sorted(get_suite(assignment).functions)
    for (index, _), function in zip(checks, checked):
        defining = max(i for i, cell in enumerate(cells[:index]) if cell.metadata.get("tags") is None
                       and cell.cell_type == "code")
        assert f"def {function}(" in cells[defining].source or f"class {function}(" in cells[defining].source
        assert all(cell.metadata.get("tags") in (["check"], ["grader"]) for cell in cells[defining + 1:index])


def test_the_grader_skips_grader_cells_and_cells_that_call_it(tmp_path: Path) -> None:
    from grader.submission import load_submission

    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def conv_output_size(n, f, pad=0, stride=1):\n    return 1"),
        nbformat.v4.new_code_cell('import grader\n\ngrader.check("conv_output_size")', metadata={"tags": ["grader"]}),
        nbformat.v4.new_code_cell('import grader\ngrader.check("zero_pad")'),
        nbformat.v4.new_code_cell("x = 1"),
    ])
    nbformat.write(book, tmp_path / "conv.ipynb")
    cells = load_submission(tmp_path / "conv.ipynb", "conv").cells
    assert [cell.label for cell in cells] == ["conv.ipynb, cell 1", "conv.ipynb, cell 4"]
