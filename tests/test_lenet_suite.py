"""The lenet suite: two correct designs score full marks; each classic mistake fails with what differs."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SUBMISSIONS

from grader.suites.lenet.model import LeNet5Variant, load_parameters
from grader.reports.view import feedback
from grader.runner import grade

LENET = SUBMISSIONS / "lenet"


def failing(report) -> dict[str, str]:
    return {r.name: r.message for r in report.results if not r.passed}


@pytest.mark.parametrize("design", ["correct_sequential.py", "correct_functional.py"])
def test_correct_lenet_scores_full_marks(design: str) -> None:
    report = grade("lenet", LENET / design)
    assert report.score == report.max_score > 0, failing(report)
    assert report.sandbox.startswith(("strict", "landlock", "process"))


def test_lenet_without_padding_is_named() -> None:
    report = grade("lenet", LENET / "no_padding.py")
    messages = failing(report)
    assert "your LeNet5 has 44,426 parameters; expected 61,706" in messages["default_parameter_count"]
    assert all("conv1 has no padding" in m for m in messages.values())
    shown = feedback(next(r for r in report.results if r.name == "default_parameter_count"))
    assert "your layers" in shown and "48,120" in shown


def test_lenet_with_tanh_and_average_pooling_is_named() -> None:
    report = grade("lenet", LENET / "tanh_avgpool.py")
    assert list(failing(report)) == ["same_function"]
    same = next(r for r in report.results if r.name == "same_function")
    assert "LeNet-5 with tanh activations and average pooling." in same.diagnosis


def test_lenet_ignoring_num_classes_is_named() -> None:
    messages = failing(grade("lenet", LENET / "ignores_num_classes.py"))
    assert "configured_output_shape" in messages and "default_output_shape" not in messages
    assert "ignores num_classes" in messages["configured_parameter_count"]


def test_lenet_that_is_not_a_module_fails_with_a_clear_message(tmp_path) -> None:
    (tmp_path / "lenet.py").write_text("class LeNet5:\n    def __init__(self, num_classes=10, in_channels=1):\n"
                                       "        pass\n")
    report = grade("lenet", tmp_path / "lenet.py")
    assert report.score == 0
    assert "not a torch.nn.Module" in report.results[0].message


def test_a_parameter_of_the_wrong_shape_is_named_by_its_place_in_lenet5() -> None:
    arrays = [p.detach().numpy() for p in LeNet5Variant().parameters()]
    arrays[4] = np.zeros((120, 256), dtype=np.float32)
    problem = load_parameters(LeNet5Variant(), arrays)
    assert "fc1.weight" in problem and "(120, 256)" in problem and "(120, 400)" in problem
