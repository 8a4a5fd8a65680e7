"""The lenet suite: two correct designs score full marks; each classic mistake fails with what differs."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from conftest import SUBMISSIONS

import grader.suites.lenet.oracles as lenet_oracles
from grader.reports.view import feedback
from grader.runner import grade
from grader.settings import Settings
from grader.suites.lenet.model import LeNet5Variant
from grader.suites.lenet.network import load_parameters
from grader.suites.lenet.publish import published_files

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
    messages = failing(grade("lenet", LENET / "tanh_avgpool.py"))
    assert list(messages) == ["same_function"]
    assert "tanh activations and average pooling" in messages["same_function"]


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


def test_the_published_facts_and_logits_are_what_the_graders_own_lenet5_gives() -> None:
    """The student release checks against these files instead of model.py: they must say what it computes."""
    fresh = published_files()
    assert json.loads(fresh[lenet_oracles.PUBLISHED_FACTS]) == json.loads(lenet_oracles.PUBLISHED_FACTS.read_bytes())
    with np.load(io.BytesIO(fresh[lenet_oracles.PUBLISHED_LOGITS])) as new, \
            np.load(lenet_oracles.PUBLISHED_LOGITS) as old:
        assert sorted(new.files) == sorted(old.files) and len(old.files) == 3 * 7
        assert all(np.array_equal(new[name], old[name]) for name in old.files)


@pytest.mark.parametrize("design", ["correct_sequential.py", "tanh_avgpool.py", "no_padding.py"])
def test_without_the_graders_own_lenet5_the_published_data_gives_the_same_verdicts(
        design: str, monkeypatch: pytest.MonkeyPatch) -> None:
    official = grade("lenet", LENET / design, Settings(oracle="pytorch"))
    monkeypatch.setattr(lenet_oracles, "has_own_model", lambda: False)
    published = grade("lenet", LENET / design, Settings(oracle="pytorch"))
    assert (official.oracle, published.oracle) == ("pytorch", "published")
    assert [(r.status, r.message) for r in published.results] == [(r.status, r.message) for r in official.results]
