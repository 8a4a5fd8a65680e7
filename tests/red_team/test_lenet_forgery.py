"""Attacks on the lenet check: a network whose weights make its logits match the specification's only because
both are zero. The grader loads weights of its own choosing (from a seed the child cannot know) into the student's
network and compares the logits with its own LeNet-5's under the same weights."""

from __future__ import annotations

from red_team.attacking import ATTACKS
from grader.runner import grade


def test_zero_weights_do_not_hide_another_network() -> None:
    report = grade("lenet", ATTACKS / "lenet" / "zero_weights_tanh_avgpool.py")
    failed = {r.name: r.diagnosis for r in report.results if not r.passed}
    assert "same_function" in failed and report.score <= report.max_score - 3
    assert "tanh activations and average pooling" in failed["same_function"]


def test_parameters_without_layers_fail_and_are_named_and_their_count_earns_nothing() -> None:
    """LeNet-5's parameter count and shapes without a network that computes with them: the grader counts those
    facts only once it has seen the network compute LeNet-5 (or a known variant) with its weights."""
    report = grade("lenet", ATTACKS / "lenet" / "parameters_without_layers.py")
    same = next(r for r in report.results if r.name == "same_function")
    assert same.score == 0 and "output stays the same when its parameters change" in same.diagnosis
    assert report.score == 0, [(r.name, r.message) for r in report.results if r.score]
