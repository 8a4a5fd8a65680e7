"""A check earns points only for drawn inputs it graded: a submission that answers the suite's fixed examples (public
in the grader's source) from a table and raises on every drawn input gets no backward points, where it used to pass
every backward check "on 4 inputs" (the fixed ones), its forward raising on the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_team.attacking import World
from red_team.tables import record_fixed_examples, table_submission
from grader.results import NOT_GRADED
from grader.runner import grade
from grader.settings import Settings
from grader.suites import get_suite
from grader.suites.conv.oracles import ConvTorch
from grader.suites.pool.oracles import PoolTorch

ORACLES = {"conv": ConvTorch, "pool": PoolTorch}
# Checks whose every case is a worked example the assignment's text prints with its answer: a table of the text
# passes them, as copying the text's answers would.
THE_TEXTS_OWN = {"conv": {"forward_worked_examples"}, "pool": {"max_forward_lecture"}}


@pytest.mark.parametrize("assignment", ["conv", "pool"])
def test_answering_the_fixed_examples_alone_earns_no_backward_point(assignment: str, tmp_path: Path,
                                                                  world: World) -> None:
    table = record_fixed_examples(assignment, ORACLES[assignment]())
    path = tmp_path / f"{assignment}.py"
    path.write_text(table_submission(world.places(), table, get_suite(assignment).functions))
    report = grade(assignment, path, Settings("quick"))
    scored = {r.name for r in report.results if r.score > 0}
    assert scored <= THE_TEXTS_OWN[assignment], [(r.name, r.message) for r in report.results if r.score > 0]
    backward = [r for r in report.results if r.functions[0].endswith("_backward") and "dtype" not in r.name]
    assert backward and all(r.status == NOT_GRADED for r in backward), [(r.name, r.status) for r in backward]
    assert all("raised KeyError" in r.message for r in backward)


@pytest.mark.parametrize("assignment, name, check", [("conv", "conv_output_size", "output_size_rejects_impossible"),
                                                     ("params", "layer_output_shape", "layer_shape_rejects_misfits")])
def test_raising_on_every_input_earns_no_point_for_raising_on_the_impossible_ones(assignment: str, name: str,
                                                                                 check: str, tmp_path: Path) -> None:
    """A function that raises ValueError whatever it is given "rejects" every impossible input; it is graded on those
    only where it returns for the nearest input that fits."""
    path = tmp_path / f"{assignment}.py"
    path.write_text(f"def {name}(*args, **kwargs):\n    raise ValueError('nothing fits')\n")
    result = next(r for r in grade(assignment, path, Settings("quick")).results if r.name == check)
    assert result.status == NOT_GRADED and result.score == 0, result.message
