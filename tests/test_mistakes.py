"""The catalogue of classic mistakes is the grader's mutation test: every mistake fails a check, and is named.

The grading of each mistake is `grader validate`'s (grader/validate/mutants.py); these tests also pin which
functions each mistake may fail.
"""

from __future__ import annotations

import importlib

import pytest

from grader.oracles import oracle_for
from grader.suites.lenet import mutants as lenet_mutants
from grader.suites import get_suite
from grader.validate.mutants import catalogue, grade_in_process, grade_mutant

pytestmark = pytest.mark.slow  # grades every mistake of every suite: make test-fast leaves it out, CI runs it

NUMPY_SUITES = ["conv", "pool", "params", "im2col"]
CATALOGUE = [(name, mistake.name) for name in NUMPY_SUITES for mistake in get_suite(name).mistakes]
LENET = [("lenet", name) for name, *_ in lenet_mutants()]


@pytest.mark.parametrize("assignment", NUMPY_SUITES)
def test_the_oracle_itself_passes_every_check(assignment: str) -> None:
    oracle = oracle_for(get_suite(assignment))
    as_student = importlib.import_module(f"grader.suites.{assignment}").as_student
    report = grade_in_process(assignment, as_student(oracle), oracle)
    assert report.all_passed, [(r.name, r.message) for r in report.results if not r.passed]


@pytest.mark.parametrize("assignment, name", CATALOGUE + LENET)
def test_every_mistake_fails_a_check_that_names_it(assignment: str, name: str) -> None:
    oracle = oracle_for(get_suite(assignment))
    mutant = next(m for m in catalogue(assignment, oracle) if m.name == name)
    outcome = grade_mutant(assignment, mutant, oracle)
    assert outcome.caught, f"no check catches {name!r}"
    assert outcome.named, [(r.name, r.diagnosis or r.message) for r in outcome.failed]
    assert {f for r in outcome.failed for f in r.functions} <= set(mutant.functions) | {"conv_backward"}


def test_the_catalogue_covers_the_classic_mistakes() -> None:
    names = {name for _, name in CATALOGUE}
    assert {"flipped kernel", "missing bias", "padding on one side", "ceil instead of floor", "NHWC output",
            "backward ignores the stride", "dw from the first image only", "average backward not divided",
            "max gradient to every cell", "stride taken as the pool size", "ties sent to every maximum",
            "missing biases", "shapes rounded up", "receptive field ignoring strides", "rows ordered (i, j, c)",
            "columns ordered (h, w, n)", "padding forgotten", "stride ignored",
            "output reshaped without a transpose"} <= names
