"""Attacks through a notebook's JSON: stored outputs and metadata that claim success, code hidden in cells that
are not code, execution counts that tell another story than the cells' order."""

from __future__ import annotations

from pathlib import Path

from red_team.attacking import World, assert_contained, build, grade_attack, output

MODEL = "model_param_count"  # the notebook's model_param_count calls conv2d_param_count


def test_stored_outputs_and_metadata_claiming_success_are_ignored(tmp_path: Path, world: World) -> None:
    """Outputs "All tests passed" and a results.json, nbgrader cell metadata, a fake kernelspec and notebook
    metadata saying 11/11; conv2d_param_count returns 0."""
    path = build(tmp_path / "sub", "params", "notebook_claims_success.ipynb", world.places())
    report = grade_attack(path, "params")
    assert_contained(report, {"conv2d_param_count", MODEL})
    assert "All tests passed" not in output(report) and not report.load_messages


def test_code_in_raw_and_markdown_cells_is_not_run(tmp_path: Path, world: World) -> None:
    path = build(tmp_path / "sub", "params", "notebook_code_in_raw_cells.ipynb", world.places())
    report = grade_attack(path, "params")
    assert_contained(report, {"conv2d_param_count", MODEL})
    assert all("conv2d_param_count is not defined" in r.message for r in report.results
               if "conv2d_param_count" in r.functions)


def test_cells_run_in_the_notebooks_order_whatever_their_execution_counts(tmp_path: Path, world: World) -> None:
    """The correct definition claims (execution_count 9) to have run after the wrong one below it."""
    path = build(tmp_path / "sub", "params", "notebook_execution_order.ipynb", world.places())
    report = grade_attack(path, "params")
    assert_contained(report, {"conv2d_param_count", MODEL})
