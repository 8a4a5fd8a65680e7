"""The catalogue of classic mistakes is the grader's mutation test: every mistake fails a check, and is named."""

from __future__ import annotations

import importlib

import pytest

from grader.oracles import choose_oracle
from grader.runner import PROFILES, run_check
from grader.sandbox.in_process import InProcess
from grader.suites import get_suite
from grader.suites.framework import Context, MistakenOracle

NUMPY_SUITES = ["conv", "pool", "params"]
CATALOGUE = [(name, mistake.name) for name in NUMPY_SUITES for mistake in get_suite(name).mistakes]


def grade_in_process(assignment: str, oracle_for_student) -> list:
    """Grade the student API computed by ``oracle_for_student`` with the suite's real checks and oracle."""
    suite = get_suite(assignment)
    student = InProcess(importlib.import_module(f"grader.suites.{assignment}").as_student(oracle_for_student))
    context = Context(student, choose_oracle())
    return [run_check(check, context, student.load(), PROFILES["quick"], 0, suite.mistakes) for check in suite.checks]


@pytest.mark.parametrize("assignment", NUMPY_SUITES)
def test_the_oracle_itself_passes_every_check(assignment: str) -> None:
    assert all(result.passed for result in grade_in_process(assignment, choose_oracle()))


@pytest.mark.parametrize("assignment, name", CATALOGUE)
def test_every_mistake_fails_a_check_that_names_it(assignment: str, name: str) -> None:
    mistake = next(m for m in get_suite(assignment).mistakes if m.name == name)
    failed = [r for r in grade_in_process(assignment, MistakenOracle(choose_oracle(), mistake)) if not r.passed]
    assert failed, f"no check catches {name!r}"
    assert any(r.diagnosis == mistake.sentence for r in failed), [(r.name, r.diagnosis) for r in failed]
    assert {f for r in failed for f in r.functions} <= set(mistake.functions) | {"conv_backward"}


def test_the_catalogue_covers_the_classic_mistakes() -> None:
    names = {name for _, name in CATALOGUE}
    assert {"flipped kernel", "missing bias", "padding on one side", "ceil instead of floor", "NHWC output",
            "backward ignores the stride", "dw from the first image only", "average backward not divided",
            "max gradient to every cell", "stride taken as the pool size", "ties sent to every maximum",
            "missing biases", "shapes rounded up", "receptive field ignoring strides"} <= names
