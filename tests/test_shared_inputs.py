"""Checks given one strategy object run on one stream of its inputs (grader.families.run_family): each input is drawn
once, the student's function and the oracle answer it once, and a check that fails there still fails, shrunk as
it would be alone. Graded in this process with trusted functions (InProcess), so that calls can be counted."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption

from grader.checking import SKIPS_AT_MOST, Attempts, EnoughSkipped, run_check, settle
from grader.families import families
from grader.runner import run_checks
from grader.results import FAILED, PASSED
from grader.sandbox.in_process import InProcess
from grader.settings import PROFILES
from grader.suites.framework import Check, CheckFailed, Context, Skipped

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

QUICK, THOROUGH = PROFILES["quick"], PROFILES["thorough"]


class Counted:
    """An int with the two methods the runner asks of a case."""

    def __init__(self, value: int) -> None:
        self.value = value

    def describe(self) -> str:
        return f"n={self.value}"

    def arrays(self) -> dict:
        return {}


NUMBERS = st.integers(0, 1000).map(Counted)


class Oracle:
    name = "counting oracle"

    def __init__(self) -> None:
        self.asked = Counter()

    def double(self, n: int) -> int:
        self.asked[n] += 1
        return 2 * n


def check(name: str, body: Any, cases: Any = NUMBERS, examples: tuple = ()) -> Check:
    return Check(name, name, ("double",), 1.0, body, cases, examples)


def doubles(ctx: Context, case: Counted) -> None:
    ctx.expect_value("double", ctx.call("double", case.value), ctx.oracle.double(case.value), case)


def answers_at_most_2000(ctx: Context, case: Counted) -> None:
    """A second property of the same function: its answer stays below 2000 (true: inputs are at most 1000)."""
    if ctx.call("double", case.value) > 2000 or ctx.oracle.double(case.value) > 2000:
        raise AssertionError("inputs are at most 1000")


def grade(checks: list[Check], student: Any, profile=QUICK) -> tuple[list, Counter, Oracle]:
    calls: Counter = Counter()

    def double(n: int) -> int:
        calls[n] += 1
        return student(n)

    sandbox, oracle = InProcess({"double": double}), Oracle()
    results = run_checks(checks, Context(sandbox, oracle), sandbox.load(), profile, profile.seed)
    return results, calls, oracle


def test_checks_given_one_strategy_object_form_one_family_in_order_of_appearance():
    other = st.integers().map(Counted)
    a, b, c = check("a", doubles), check("b", doubles, cases=other), check("c", answers_at_most_2000)
    assert [[x.name for x in family] for family in families([a, b, c])] == [["a", "c"], ["b"]]


def test_the_student_and_the_oracle_answer_each_input_once_whatever_the_number_of_checks():
    results, calls, oracle = grade([check("a", doubles), check("b", answers_at_most_2000)], lambda n: 2 * n)
    assert [r.status for r in results] == [PASSED, PASSED]
    assert results[0].examples_run == results[1].examples_run >= QUICK.max_examples
    assert max(calls.values()) == 1 and max(oracle.asked.values()) == 1
    assert sum(calls.values()) == results[0].examples_run


def test_a_familys_inputs_depend_neither_on_the_code_nor_on_which_of_its_checks_run():
    """``grader.check(f)`` in a notebook runs f's checks only; the inputs each is given must not change. Two checks
    skip multiples of 3, a third fails above 50: once it is out, no check grades those inputs, and a stream that
    rejected them would go elsewhere."""

    def skips_multiples_of_3(ctx: Context, case: Counted) -> None:
        if case.value % 3 == 0:
            raise Skipped
        answers_at_most_2000(ctx, case)

    b, c = check("b", skips_multiples_of_3), check("c", skips_multiples_of_3)
    with_a, _, _ = grade([check("a", doubles), b, c], lambda n: 2 * n + (n > 50))
    without_a, _, _ = grade([b, c], lambda n: 2 * n + (n > 50))
    assert [r.status for r in with_a] == [FAILED, PASSED, PASSED]
    assert [r.inputs for r in with_a[1:]] == [r.inputs for r in without_a]


def test_each_check_tries_its_own_fixed_examples_only():
    seven, eight = Counted(7), Counted(8)
    results, calls, _ = grade([check("a", doubles, examples=(seven,)), check("b", doubles, examples=(eight,))],
                              lambda n: 2 * n)
    assert [r.status for r in results] == [PASSED, PASSED]
    assert calls[7] >= 1 and calls[8] >= 1


def test_a_check_that_fails_in_its_family_fails_as_it_would_alone():
    def wrong_above_100(n: int) -> int:
        return 2 * n + (n > 100)

    family, calls, _ = grade([check("a", answers_at_most_2000), check("b", doubles)], wrong_above_100)
    sandbox = InProcess({"double": wrong_above_100})
    alone = run_check(check("b", doubles), Context(sandbox, Oracle()), sandbox.load(), QUICK, QUICK.seed)
    assert family[0].status == PASSED
    assert family[1].status == alone.status == FAILED
    assert family[1].message == alone.message and "n=101" in alone.message  # shrunk to the edge of the bug
    assert family[1].counterexample == alone.counterexample


@pytest.mark.filterwarnings("ignore:Using `reject` outside a property-based test")  # the attempts run bare here
def test_skipped_inputs_while_shrinking_neither_stop_the_check_nor_make_it_pass():
    """Shrinking a dtype check's failure heads for float64 inputs, which it skips: more skips than a search for
    graded inputs allows. They once stopped the check as passed."""

    def fails_when_graded(ctx: Context, case: Counted) -> None:
        if case.value % 2:
            raise Skipped
        doubles(ctx, case)

    sandbox = InProcess({"double": lambda n: 2 * n + 1})
    attempts = Attempts(check("a", fails_when_graded), Context(sandbox, Oracle()), THOROUGH.shrink_examples,
                        THOROUGH.min_graded)
    with pytest.raises(CheckFailed):
        attempts(Counted(2))
    for n in range(1, 2 * SKIPS_AT_MOST, 2):
        with pytest.raises(UnsatisfiedAssumption):
            attempts(Counted(n))
    assert settle(attempts, EnoughSkipped(), (), 0.0).status == FAILED
