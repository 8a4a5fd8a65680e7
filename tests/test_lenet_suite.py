"""The lenet suite: two correct designs score full marks; each classic mistake fails with what differs."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from conftest import STUDENT_CORPUS, SUBMISSIONS

import grader.suites.lenet.oracles as lenet_oracles
from grader.compare import TOLERANCES
from grader.reports.view import feedback
from grader.runner import grade
from grader.sandbox.in_process import InProcess, load_probes
from grader.settings import Settings
from grader.suites import get_suite
from grader.suites.framework import Context
from grader.suites.lenet import LAYOUTS, NetCase, diagnose
from grader.suites.lenet.model import LeNet5Variant
from grader.suites.lenet.network import load_parameters
from grader.suites.lenet.oracles import LenetTorch
from grader.suites.lenet.publish import published_files

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

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
    # the grader ran it as LeNet-5 without padding, with weights it drew: the facts it reports of itself count
    assert {"default_output_shape", "configured_output_shape", "gradients_reach_every_parameter"}.isdisjoint(messages)


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


def test_a_lenet_built_for_32x32_keeps_its_parameter_points_and_its_traceback_starts_in_its_code() -> None:
    """Its forward pass raises on 28x28 input: the checks that run it fail with the error, traced through the
    student's own lines only (no grader probe, no torch internals); the parameter checks need no forward pass."""
    report = grade("lenet", STUDENT_CORPUS / "lenet" / "functional_built_for_32.py")
    results = {r.name: r for r in report.results}
    assert all(results[name].passed for name in ("default_parameter_count", "configured_parameter_count",
                                                 "parameter_shapes"))
    shown = feedback(results["default_output_shape"])
    trace = shown[shown.index("Traceback (your code):"):].splitlines()[1:]
    assert trace[0] == '  File "functional_built_for_32.py", line 20, in forward'
    assert trace[1].strip() == "x = F.relu(self.fc1(x))"
    assert not [line for line in trace if line.startswith("  File") and "functional_built_for_32.py" not in line]


class ReturnsZeros(LeNet5Variant):
    """LeNet-5's parameters, but a forward pass that ignores them."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], self.fc3.out_features)


def test_a_network_that_returns_zeros_is_not_taken_for_a_variant_whose_relu_output_is_zero() -> None:
    """Under weights that make every logit negative, LeNet-5 with a ReLU on its output returns zeros too: the
    diagnosis names only variants whose logits spread out, and says that this output ignores the parameters."""
    model = LeNet5Variant()
    with torch.no_grad():
        model.fc3.bias.fill_(-100.0)
    weights = [p.detach().numpy() for p in model.parameters()]
    suite = get_suite("lenet")
    ctx = Context(InProcess({"LeNet5": ReturnsZeros}, load_probes(suite.policy.probe_modules)), LenetTorch())
    case = NetCase(10, 1, 4)
    assert "stays the same when its parameters change" in diagnose(ctx, weights, case, np.zeros((4, 10), np.float32))


def test_the_published_facts_and_logits_are_what_the_graders_own_lenet5_gives() -> None:
    """The student release checks against these files instead of model.py: they must say what it computes, within a
    tenth of the tolerance the checks give float32 (the last bits are the CPU's: AVX2 and AVX-512 builds of the same
    conv round them otherwise)."""
    fresh = published_files()
    published = json.loads(lenet_oracles.PUBLISHED_FACTS.read_bytes())
    assert json.loads(fresh[lenet_oracles.PUBLISHED_FACTS]) == json.loads(lenet_oracles.PUBLISHED_FACTS.read_bytes())
    with np.load(io.BytesIO(fresh[lenet_oracles.PUBLISHED_LOGITS])) as new, \
            np.load(lenet_oracles.PUBLISHED_LOGITS) as old:
        assert sorted(new.files) == sorted(old.files)
        assert len(old.files) == 3 * (1 + len(published['mistakes'])) + len(LAYOUTS)
        rtol, atol = (share / 10 for share in TOLERANCES["float32"])
        far = [name for name in old.files if not np.allclose(new[name], old[name], rtol=rtol, atol=atol)]
        assert not far and all(new[name].dtype == old[name].dtype for name in old.files), far


@pytest.mark.parametrize("design", ["correct_sequential.py", "tanh_avgpool.py", "no_padding.py"])
def test_without_the_graders_own_lenet5_the_published_data_gives_the_same_verdicts(
        design: str, monkeypatch: pytest.MonkeyPatch) -> None:
    official = grade("lenet", LENET / design, Settings(oracle="pytorch"))
    monkeypatch.setattr(lenet_oracles, "has_own_model", lambda: False)
    published = grade("lenet", LENET / design, Settings(oracle="pytorch"))
    assert (official.oracle, published.oracle) == ("pytorch", "published")
    assert [(r.status, r.message) for r in published.results] == [(r.status, r.message) for r in official.results]
