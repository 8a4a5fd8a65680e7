"""The two oracles agree, so a student's local verdict (PyTorch oracle) equals the official one (reference).

The agreements are `grader validate`'s (each suite's `agreements`); here they run on the installed reference.
"""

from __future__ import annotations

import pytest

from grader.oracles import oracle_for
from grader.oracles.reference_oracle import ReferenceOracle
from grader.suites import ASSIGNMENTS, get_suite
from grader.suites.framework import MistakenOracle
from grader.validate.oracles import disagreement

PYTORCH = {assignment: get_suite(assignment).oracles.pytorch() for assignment in ASSIGNMENTS}
EACH = [(assignment, index) for assignment in ASSIGNMENTS for index in range(len(get_suite(assignment).agreements))]


def test_auto_prefers_the_reference_when_it_is_installed() -> None:
    for assignment in ASSIGNMENTS:
        suite = get_suite(assignment)
        assert isinstance(oracle_for(suite, "auto"), ReferenceOracle)
        assert isinstance(oracle_for(suite, "reference"), ReferenceOracle)
        assert type(oracle_for(suite, "pytorch")) is type(suite.oracles.pytorch())


@pytest.mark.parametrize("assignment, index", EACH)
def test_the_reference_and_pytorch_agree(assignment: str, index: int) -> None:
    reference = oracle_for(get_suite(assignment), "reference")
    agreement = get_suite(assignment).agreements[index]
    assert disagreement(agreement, reference, PYTORCH[assignment], examples=40, seed_value=0) == ""


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_a_disagreement_names_the_method_and_the_case() -> None:
    missing_bias = next(m for m in get_suite("conv").mistakes if m.name == "missing bias")
    reference = oracle_for(get_suite("conv"), "reference")
    mistaken = MistakenOracle(reference, missing_bias)
    problem = disagreement(get_suite("conv").agreements[0], mistaken, PYTORCH["conv"], 40, 0)
    assert problem.startswith("conv_forward: the reference and PyTorch differ by up to ")
    assert " for x (" in problem and "stride=" in problem
