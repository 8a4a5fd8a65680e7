"""grader similarity gives the same report in every process, leaves out the stub it finds from the assignment and
the --base files, flags the pairs that stand out from their class (planted copies, not independent solutions) and
the submissions that hold the grader's own code, reads notebooks by their code cells, and writes a report a parser
reads: the distribution, the threshold and why, and that it flags without accusing."""

from __future__ import annotations

import ast
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS, as_notebook
from grader.cli import main
from grader.similarity.compare import compare
from grader.similarity.fingerprints import RUN, Code, run_hashes
from grader.similarity.grader_code import grader_code
from grader.similarity.report import Piece, pieces
from grader.similarity.stub import SharedCodeError, released_stub, shared_code
from grader.similarity.threshold import RULE, class_threshold
from grader.similarity.tokens import tokens
from test_reports import parse_html

FIXTURES = ROOT / "tests" / "fixtures" / "similarity"
INDEPENDENT = sorted((FIXTURES / "independent").glob("*.py"))
PLANTED = sorted((FIXTURES / "planted").glob("*.py"))
CORRECT = (SUBMISSIONS / "conv" / "correct_loops.py").read_text()
STUB = [code.text for code in released_stub("conv")]


def codes(paths: list[Path]) -> list[Code]:
    return [Code(path.stem, path.read_text()) for path in paths]


def original(planted: str) -> str:
    """The independent solution a planted copy was made from (its name up to ``__``)."""
    return planted.split("__")[0]


def disguised(source: str) -> str:
    """The same code with its local names renamed and its functions in the opposite order."""
    for old, new in {"x_pad": "padded", "out": "result", "stride": "step", "dout": "upstream", "cache": "saved",
                     "total": "acc", "H_out": "rows", "W_out": "cols"}.items():
        source = re.sub(rf"\b{old}\b", new, source)
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    tree.body = [node for node in tree.body if not isinstance(node, ast.FunctionDef)] + functions[::-1]
    return ast.unparse(tree)


def test_names_comments_and_layout_do_not_count_but_the_librarys_api_does() -> None:
    first = [token.text for token in tokens("total = np.sum(x * w)  # the product\nprint(f'{total}')")]
    second = [token.text for token in tokens("acc=np.sum(img*kernel)\nprint('sum: %s' % acc)")]
    assert first == ["N", "=", "N", ".", "sum", "(", "N", "*", "N", ")", "print", "(", "S", ")"]
    assert second[:11] == first[:11] and "%" in second
    assert [token.text for token in tokens("def broken(:\n    return '''never closed")][-1] == "S"


def test_run_hashes_are_fixed_numbers_whatever_the_process() -> None:
    found = run_hashes(tokens("for i in range(n):\n    total += x[i] * w[i]\n"))
    assert len(found) == len(tokens("for i in range(n): total += x[i] * w[i]")) - RUN + 1
    assert found[0] == 0x3790A6AA40674F82


@pytest.mark.slow
def test_the_report_is_the_same_bytes_under_different_hash_seeds(tmp_path: Path) -> None:
    classroom = tmp_path / "class"
    classroom.mkdir()
    for path in INDEPENDENT[:10] + PLANTED[:3]:
        (classroom / path.name).write_text(path.read_text())
    pages = []
    for seed in ("1", "2"):
        ran = subprocess.run([sys.executable, "-m", "grader.cli", "similarity", "conv", str(classroom), "--out",
                              str(tmp_path / seed)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                             env=os.environ | {"PYTHONHASHSEED": seed})
        assert ran.returncode == 0, ran.stderr
        pages.append((tmp_path / seed / "similarity.html").read_bytes())
    assert pages[0] == pages[1]


def test_the_stub_is_found_from_the_assignment_not_from_the_current_folder(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = released_stub("conv")
    assert [Path(code.label) for code in found] == [ROOT / "assignments" / "conv" / "conv.py",
                                                   ROOT / "assignments" / "conv" / "conv.ipynb"]
    assert "raise NotImplementedError" in found[0].text and "raise NotImplementedError" in found[1].text


def test_a_course_folder_without_assignments_gives_the_stub_cut_from_its_reference(tmp_path: Path) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "conv.py").write_text((ROOT / "reference" / "conv.py").read_text())
    (cut,) = released_stub("conv", tmp_path)
    assert cut.text == (ROOT / "assignments" / "conv" / "conv.py").read_text()
    assert "the stub `grader release` cuts from it" in cut.label


def test_a_course_of_its_own_has_its_stub_found_through_its_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_COURSE", str(ROOT / "examples" / "course"))
    assert Path(released_stub("relu")[0].label) == ROOT / "examples" / "course" / "assignments" / "relu" / "relu.py"


def test_no_stub_is_an_error_naming_the_flags_unless_base_files_are_given(tmp_path: Path) -> None:
    with pytest.raises(SharedCodeError, match=r"--root .*: name the course repository with --root DIR, or the stub "
                                              r"itself with --base FILE"):
        shared_code("conv", tmp_path, [])
    lecture = tmp_path / "lecture.py"
    lecture.write_text(CORRECT)
    shared, warning = shared_code("conv", tmp_path, [lecture])
    assert [code.label for code in shared] == [str(lecture)]
    assert "only the --base files are left out" in warning and "--root DIR" in warning


def test_the_command_refuses_to_run_without_a_stub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.py").write_text(CORRECT)
    with pytest.raises(SystemExit) as stopped:
        main(["similarity", "conv", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--root",
              str(tmp_path)])
    assert stopped.value.code == 2
    assert "--base FILE" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_the_untouched_stub_never_counts() -> None:
    stub = STUB[0]
    (pair,) = compare([Code("ann", stub), Code("bea", stub)], [], [], STUB).pairs
    assert pair.shares == (0.0, 0.0)
    (unexcluded,) = compare([Code("ann", stub), Code("bea", stub)], [], [], []).pairs
    assert unexcluded.shares == (1.0, 1.0)


def test_base_files_are_left_out_like_the_stub() -> None:
    lecture = "\n".join(line for line in CORRECT.splitlines() if not line.startswith("import"))
    alone = [(FIXTURES / "independent" / f"{name}.py").read_text()
             for name in ("s12_itertools_product", "s13_geometry_class")]
    pasted = [Code(name, text + "\n\n" + lecture) for name, text in zip(("ann", "bea"), alone)]
    (plain,) = compare([Code("ann", alone[0]), Code("bea", alone[1])], [], [], STUB).pairs
    (with_lecture,) = compare(pasted, [], [], STUB).pairs
    (lecture_left_out,) = compare(pasted, [], [], [*STUB, lecture]).pairs
    assert with_lecture.similarity > 0.5 > 0.15 > plain.similarity >= lecture_left_out.similarity


def test_renamed_variables_and_reordered_functions_still_match() -> None:
    copy = disguised(CORRECT)
    assert copy != CORRECT and "padded" in copy
    (pair,) = compare([Code("ann", CORRECT), Code("bea", copy)], [], [], STUB).pairs
    assert min(pair.shares) > 0.9


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_on_independent_solutions_only_the_planted_copies_stand_out() -> None:
    comparison = compare(codes(INDEPENDENT + PLANTED), [], grader_code("conv"), STUB)
    threshold = class_threshold([pair.similarity for pair in comparison.pairs])
    flagged = {(pair.first.code.name, pair.second.code.name) for pair in comparison.pairs
               if pair.similarity >= threshold.value}
    planted = {pair for pair in itertools.combinations(sorted(path.stem for path in INDEPENDENT + PLANTED), 2)
               if original(pair[0]) == original(pair[1])}
    assert len(planted) == 12 and flagged == planted
    assert not [pair for pair in comparison.against_grader if pair.similarity >= threshold.value]


def test_the_threshold_is_the_class_median_plus_spreads_within_a_floor_and_a_ceiling() -> None:
    class_of_ten = [0.1, 0.14, 0.18, 0.22, 0.26] * 9  # 45 pairs: median 0.18, median absolute deviation 0.04
    rule = class_threshold(class_of_ten)
    assert rule.value == pytest.approx(0.18 + RULE.spreads * 1.4826 * 0.04) and rule.bound == ""
    assert rule.reason() == "the class's median 18% + 6 spreads of 6%"
    assert (class_threshold([0.0] * 45).value, class_threshold([0.0] * 45).bound) == (RULE.floor, "floor")
    assert (class_threshold([0.1, 0.3, 0.5] * 15).value, class_threshold([0.1, 0.3, 0.5] * 15).bound) == (
        RULE.ceiling, "ceiling")
    assert class_threshold(class_of_ten, 0.9).value == 0.9 and class_threshold(class_of_ten, 0.9).given


def test_a_class_too_small_to_tell_what_is_usual_is_flagged_from_the_ceiling() -> None:
    class_of_nine = [0.1, 0.5] * 18
    for few in ([], [0.0] * 44, class_of_nine):
        assert (class_threshold(few).value, class_threshold(few).bound) == (RULE.ceiling, "few pairs")
    assert "fewer than 45 pairs are too few" in class_threshold(class_of_nine).reason()


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_a_copy_of_the_reference_or_of_the_graders_model_is_flagged_with_what_it_matches() -> None:
    reference = disguised((ROOT / "reference" / "conv.py").read_text())
    comparison = compare([Code("cheat", reference), *codes(INDEPENDENT[:6])], [], grader_code("conv"), STUB)
    threshold = class_threshold([pair.similarity for pair in comparison.pairs])
    top = comparison.against_grader[0]
    assert (top.first.code.name, top.second.code.name) == ("cheat", "reference/conv.py")
    assert top.similarity >= threshold.value and comparison.against_grader[1].similarity < threshold.value

    from grader.suites.lenet import model

    lenet_stub = [code.text for code in released_stub("lenet")]
    pasted = lenet_stub[0] + Path(model.__file__).read_text() + "\n\nclass LeNet5(LeNet5Variant):\n    pass\n"
    (top, *_) = compare([Code("cheat", pasted)], [], grader_code("lenet"), lenet_stub).against_grader
    assert top.second.code.name == "grader/suites/lenet/model.py" and top.similarity > 0.9 > RULE.ceiling


def test_a_past_class_is_compared_too_but_not_with_itself() -> None:
    found = compare([Code("now", CORRECT)], [Code("2025/then", disguised(CORRECT), "past"),
                                             Code("2025/other", INDEPENDENT[4].read_text(), "past")], [], STUB).pairs
    assert [(pair.first.code.name, pair.second.code.name) for pair in found] == [("now", "2025/then"),
                                                                                ("now", "2025/other")]


def test_pieces_mark_matches_fold_long_given_code_and_keep_the_rest() -> None:
    text = "".join(f"given {n}\n" for n in range(8)) + "mine\nshared\n"
    given_end, match_start = text.index("mine"), text.index("shared")
    found = pieces(text, [(match_start, len(text))], [(0, given_end)])
    assert found == [Piece("given 0\n", "given"),
                     Piece("⋯ 5 lines of the code every student was given ⋯\n", "folded"),
                     Piece("given 6\ngiven 7\n", "given"), Piece("mine\n", "own"), Piece("shared\n", "match")]


@pytest.mark.slow
def test_the_command_reads_notebooks_uses_base_files_and_writes_a_report_that_flags_without_accusing(
        tmp_path: Path) -> None:
    submissions = tmp_path / "class"
    submissions.mkdir()
    for path in INDEPENDENT[:8]:
        (submissions / path.name).write_text(path.read_text())
    as_notebook(FIXTURES / "planted" / "s02_tensordot_positions__reordered_renamed.py", submissions / "zed.ipynb")
    (submissions / "dot.py").write_text("this is not python (")
    lecture = tmp_path / "lecture.py"
    lecture.write_text(CORRECT)
    ran = subprocess.run([sys.executable, "-m", "grader.cli", "similarity", "conv", str(submissions), "--out",
                          str(tmp_path / "out"), "--base", str(lecture)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"1 of 45 pairs flagged at or above \d+% \(", ran.stdout) and str(lecture) in ran.stdout
    page = parse_html((tmp_path / "out" / "similarity.html").read_text())
    assert "This report flags; it does not accuse." in page.text
    assert "s02_tensordot_positions zed" in " ".join(cell.text for cell in page.find("td"))
    assert len(page.find("rect")) == 50 and page.find("mark")
    threshold = re.search(r"Those at or above (\d+) %\. That is this class's median similarity", page.text)
    assert threshold and f"flagged from {threshold.group(1)} %" in page.text
    assert str(ROOT / "assignments" / "conv" / "conv.py") in page.text and str(lecture) in page.text
    assert "Not compared" not in page.text  # dot.py is read as text: a broken copy is still a copy
