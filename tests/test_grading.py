"""Grading the fixture submissions: correct ones score full marks, each mistake fails its own function."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from conftest import STUDENT_CORPUS, SUBMISSIONS, as_notebook, shared

from grader.reports.results_json import results_json
from grader.reports.terminal import render
from grader.reports.view import summary
from grader.results import NOT_GRADED
from grader.runner import grade
from grader.settings import Settings
from grader.suites import get_suite

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

CORRECT = [(a, f) for a in ("conv", "pool", "params") for f in ("correct_loops.py", "correct_vectorised.py")]

# Each mistake fails the checks of the function it is in, and of the fixture's functions that call it.
MISTAKES = {
    ("conv", "flipped_kernel"): {"conv_forward"},
    ("conv", "missing_bias"): {"conv_forward"},
    ("conv", "pad_one_side"): {"zero_pad", "conv_forward", "conv_backward"},
    ("conv", "ceil_output_size"): {"conv_output_size"},
    ("conv", "db_wrong_axes"): {"conv_backward"},
    ("conv", "backward_ignores_stride"): {"conv_backward"},
    ("conv", "dw_first_image_only"): {"conv_backward"},
    ("pool", "avg_backward_not_divided"): {"avg_pool_backward"},
    ("pool", "max_grad_to_every_cell"): {"max_pool_backward"},
    ("pool", "stride_is_pool_size"): {"max_pool_forward"},
    ("pool", "ties_to_every_max"): {"max_pool_backward"},
    ("params", "no_bias_counts"): {"conv2d_param_count", "model_param_count"},
    ("params", "shapes_rounded_up"): {"layer_output_shape", "model_param_count"},
    ("params", "receptive_field_ignores_strides"): {"receptive_field"},
    ("params", "multiplies_the_bias"): {"conv_multiplications"},
    ("params", "multiplications_without_channels"): {"conv_multiplications"},
}


def failed_functions(report) -> set[str]:
    return {f for result in report.results if not result.passed for f in result.functions}


def failures(report) -> str:
    return "\n".join(f"{r.title}: {r.message}" for r in report.results if not r.passed)


@pytest.mark.parametrize("assignment, solution", CORRECT)
def test_correct_solution_scores_full_marks(assignment: str, solution: str) -> None:
    report = grade(assignment, SUBMISSIONS / assignment / solution)
    assert report.score == report.max_score > 0, failures(report)
    assert report.all_passed and not report.load_messages
    assert not any(r.diagnosis for r in report.results)


@pytest.mark.parametrize("assignment", ["conv", "pool", "params"])
def test_correct_notebook_scores_full_marks(assignment: str, tmp_path: Path) -> None:
    notebook = as_notebook(SUBMISSIONS / assignment / "correct_vectorised.py", tmp_path / f"{assignment}.ipynb")
    report = grade(assignment, tmp_path)
    assert report.score == report.max_score, failures(report)


@pytest.mark.parametrize("assignment, mistake", sorted(MISTAKES))
def test_mistake_fails_exactly_its_function_and_is_named(assignment: str, mistake: str, submission) -> None:
    report = grade(assignment, submission(assignment, "correct_loops.py", f"mistakes/{mistake}.py"))
    assert failed_functions(report) == MISTAKES[assignment, mistake], failures(report)
    assert 0 < report.score < report.max_score
    named = {r.diagnosis for r in report.results if r.diagnosis}
    assert len(named) == 1, named
    assert named <= {m.sentence for m in get_suite(assignment).mistakes}


def test_failure_names_shapes_and_parameters(submission) -> None:
    report = grade("conv", submission("conv", "correct_loops.py", "faults/returns_wrong_shape.py"))
    shape = next(r for r in report.results if r.name == "forward_shape")
    assert "conv_forward's out has shape" in shape.message and "expected" in shape.message
    assert "pad=" in shape.message and "stride=" in shape.message
    assert shape.counterexample["shapes"]["x"] and "dout" not in shape.counterexample["shapes"]


def test_grading_is_deterministic_for_a_seed(submission) -> None:
    path = submission("conv", "correct_loops.py", "mistakes/missing_bias.py")
    first, second = grade("conv", path, Settings(seed=7)), grade("conv", path, Settings(seed=7))
    assert [(r.score, r.message, r.counterexample) for r in first.results] == \
           [(r.score, r.message, r.counterexample) for r in second.results]


def test_thorough_profile_runs_more_examples_with_another_seed() -> None:
    quick = grade("params", SUBMISSIONS / "params" / "correct_loops.py")
    thorough = grade("params", SUBMISSIONS / "params" / "correct_loops.py", Settings("thorough"))
    assert thorough.seed != quick.seed
    assert sum(r.examples_run for r in thorough.results) > 2 * sum(r.examples_run for r in quick.results)
    assert thorough.score == thorough.max_score


def test_results_json_is_valid_gradescope_with_function_tags(submission) -> None:
    schema = json.loads(shared("schemas/gradescope_results.schema.json").read_text())
    report = grade("conv", submission("conv", "correct_loops.py", "mistakes/db_wrong_axes.py"))
    results = json.loads(json.dumps(results_json(report)))
    jsonschema.validate(results, schema)
    assert isinstance(results["execution_time"], float) and results["score"] == report.score
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert [t["tags"] for t in failed] == [["conv_backward"]]
    assert failed[0]["extra_data"]["counterexample"]["arrays"]["dout"]
    assert results["extra_data"]["seed"] == report.seed


def test_a_backward_whose_own_forward_always_raises_is_not_graded_rather_than_failed(submission) -> None:
    report = grade("conv", submission("conv", "correct_loops.py", "faults/forward_always_raises.py"))
    backward = [r for r in report.results if r.functions == ("conv_backward",)]
    assert backward and all(r.status == NOT_GRADED and r.score == 0 for r in backward)
    assert all(r.message.startswith("not graded: on every input") for r in backward)
    assert "code it needs failed first: conv_forward raised NotImplementedError" in backward[0].message
    forward_dtype = next(r for r in report.results if r.name == "forward_dtype")
    assert forward_dtype.status == NOT_GRADED and "(3 failed, 5 not graded)" in summary(report)
    test = results_json(report)["tests"][report.results.index(backward[0])]
    assert test["status"] == "failed" and test["extra_data"]["status"] == NOT_GRADED
    assert "NOT GRADED" in render(report) and report.function_statuses["conv_backward"] == NOT_GRADED


def test_a_backward_graded_on_too_few_drawn_inputs_is_not_graded_and_says_why(submission) -> None:
    report = grade("conv", submission("conv", "correct_loops.py", "faults/forward_on_tiny_inputs_only.py"))
    backward = [r for r in report.results if r.functions == ("conv_backward",) and "dtype" not in r.name]
    assert backward and all(r.status == NOT_GRADED and r.score == 0 for r in backward)
    graded = backward[0].examples_run
    assert 0 < graded < Settings().chosen.min_graded
    assert re.search(rf"failed on \d+ of the \d+ inputs drawn for it \(the first time: conv_forward raised ValueError: "
                     rf"only tiny inputs\), so conv_backward could be graded on {graded} only", backward[0].message)


def test_a_backward_is_graded_on_the_inputs_where_its_forward_returns(tmp_path: Path) -> None:
    source = (SUBMISSIONS / "conv" / "correct_loops.py").read_text()
    divides = "\n    assert (x.shape[2] + 2 * conv_param['pad'] - w.shape[2]) % conv_param['stride'] == 0\n"
    path = tmp_path / "conv.py"
    path.write_text(source.replace("def conv_forward(x, w, b, conv_param):\n",
                                   "def conv_forward(x, w, b, conv_param):" + divides, 1))
    report = grade("conv", path)
    assert {f for r in report.results if not r.passed for f in r.functions} == {"conv_forward"}
    assert all(r.passed and r.examples_run > 0 for r in report.results if r.functions == ("conv_backward",))


@pytest.mark.parametrize("student, check", [("conv/loops_flipped_kernel.py", "forward_dtype"),
                                            ("pool/loops_max_backward_square_assigned.py", "max_backward_dtype")])
def test_a_dtype_check_grades_a_wrong_function_on_the_inputs_it_gets_right(student: str, check: str) -> None:
    """These functions are wrong on most inputs but right, in float32, on some (a 1x1 kernel needs no flip; square
    windows that do not overlap have neither of that backward's two mistakes): their dtype check passes. The family's shared stream skips its first inputs and stops
    with nothing graded; the check's own run draws past them (grader.families.run_family), so settling it where the
    stream stopped would take these points from a float32 function that computes the wrong values elsewhere."""
    assignment, _ = student.split("/")
    report = grade(assignment, STUDENT_CORPUS / student)
    result = next(r for r in report.results if r.name == check)
    assert result.passed and result.examples_run >= Settings().chosen.min_graded, result.message
    function = result.functions[0]
    assert any(not r.passed for r in report.results if r.functions == (function,) and r.name != check)
