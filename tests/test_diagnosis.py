"""How a failure's likely cause is found (grader.diagnosis) and which failure a check shows (grader.checking): a
mistake is named from the shrunk input when the first failing input shows more than it, a failure that random values
make disappear is never put down to a size mistake, a size mistake is named next to the second mistake its twins show,
and a check that failed in its family shrinks the kind of failure the family saw. Graded in this process on our own
fixtures (tests/fixtures/students) and trusted functions."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import numpy as np
from hypothesis import strategies as st

from conftest import STUDENT_CORPUS
from grader.checking import Attempts
from grader.diagnosis import SECOND_MISTAKE, by_twins, diagnose, resampled
from grader.families import alone_or_as_seen
from grader.oracles import oracle_for
from grader.results import FAILED
from grader.sandbox.in_process import InProcess
from grader.settings import PROFILES
from grader.suites import get_suite
from grader.suites.conv.cases import conv_case
from grader.suites.framework import Check, CheckFailed, Context
from grader.suites.pool.cases import pool_case

QUICK = PROFILES["quick"]


def fixture(name: str) -> ModuleType:
    """One of our own student fixtures, imported here (trusted code: we wrote it)."""
    spec = importlib.util.spec_from_file_location(name.replace("/", "_").removesuffix(".py"), STUDENT_CORPUS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def context(assignment: str, module: ModuleType) -> Context:
    functions = {name: getattr(module, name) for name in get_suite(assignment).functions}
    return Context(InProcess(functions), oracle_for(get_suite(assignment)))


def suite_check(assignment: str, name: str) -> Check:
    return next(check for check in get_suite(assignment).checks if check.name == name)


def failure_on(check: Check, ctx: Context, case) -> CheckFailed:
    try:
        check.body(ctx, case)
    except CheckFailed as failure:
        return failure
    raise AssertionError(f"{check.name} passed on {case.describe()}")


def sentence(assignment: str, mistake: str) -> str:
    return next(m.sentence for m in get_suite(assignment).mistakes if m.name == mistake)


def test_a_mistake_is_named_from_the_shrunk_input_when_the_first_failing_input_shows_more_than_it() -> None:
    """dx assigned with = in the lecture's n, f, i, j loops: with two filters the last filter's writes win, which the
    catalogue's mutant (windows in output order, summed over the filters) does not do; with one filter they agree."""
    ctx, check = context("conv", fixture("conv/loops_dx_assigned.py")), suite_check("conv", "backward_dx")
    rng = np.random.default_rng(0)
    first = conv_case(rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), b=[0.0, 1.0, 2.0])
    shrunk = conv_case(np.arange(16.0).reshape(4, 4) % 5, [[1.0, 2.0], [3.0, 4.0]])
    failure = failure_on(check, ctx, shrunk)
    failure_on(check, ctx, first)
    mistakes = get_suite("conv").mistakes
    assert diagnose(check, ctx, failure, first, shrunk, [], mistakes) == sentence("conv", "dx assigned, not added")
    assert diagnose(check, ctx, failure, first, first, [], mistakes) == ""  # the mutant does not explain 3 filters


def test_a_flipped_kernel_is_named_on_the_values_check_though_a_second_mistake_shows_on_larger_inputs() -> None:
    """A forward that flips the kernel and adds filter 0's bias to every filter: the first failing input (three
    filters) shows both, the shrunk one (one filter) exactly the flip."""
    oracle = oracle_for(get_suite("conv"))

    def conv_forward(x, w, b, conv_param):
        flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1])
        return oracle.conv_forward(x, flipped, np.full_like(b, b[0]), conv_param["stride"], conv_param["pad"]), None

    ctx, check = Context(InProcess({"conv_forward": conv_forward}), oracle), suite_check("conv", "forward_values")
    rng = np.random.default_rng(1)
    first = conv_case(rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), b=[0.0, 1.0, 2.0])
    shrunk = conv_case(np.arange(16.0).reshape(4, 4) % 5, [[1.0, 2.0], [3.0, 4.0]])
    named = diagnose(check, ctx, failure_on(check, ctx, shrunk), first, shrunk, [], get_suite("conv").mistakes)
    assert named == sentence("conv", "flipped kernel")


def test_a_failure_that_random_values_make_disappear_is_not_put_down_to_a_square_window() -> None:
    """Ties sent to every maximum fail a tied non-square window, and pass every square twin (drawn without ties):
    only the copies of the input with other (distinct) values show that the window's shape is not the cause."""
    ctx = context("pool", fixture("pool/vectorised_ties_every_max.py"))
    check = suite_check("pool", "max_backward_values")
    tied = pool_case(np.ones((4, 5)), size=3, width=2, stride=1)
    failure = failure_on(check, ctx, tied)
    square = next(m for m in get_suite("pool").mistakes if m.name == "square window assumed")
    assert by_twins(check, ctx, ctx.oracle, square, failure, tied, [], [], [square]) == square.sentence  # unguarded
    assert by_twins(check, ctx, ctx.oracle, square, failure, tied, resampled(tied), [], [square]) == ""


def test_a_size_mistake_is_named_with_the_second_mistake_its_twins_show() -> None:
    """A max-pool backward that reads hp x hp windows (an IndexError on non-square ones) and assigns with =: the
    shrunk input raises, its square twins return wrong values, and those values are the = mistake's."""
    ctx = context("pool", fixture("pool/loops_max_backward_square_assigned.py"))
    check = suite_check("pool", "max_backward_values")
    case = pool_case(np.arange(20.0).reshape(4, 5) * 7 % 20, size=3, width=2, stride=1)
    failure = failure_on(check, ctx, case)
    assert "raised ValueError" in failure.message
    named = diagnose(check, ctx, failure, case, case, [], get_suite("pool").mistakes)
    assert named == (f"{sentence('pool', 'square window assumed')} {SECOND_MISTAKE}"
                     f"{sentence('pool', 'max gradient assigned, not added')}")


class Number:
    def __init__(self, value: int) -> None:
        self.value = value

    def describe(self) -> str:
        return f"n={self.value}"

    def arrays(self) -> dict:
        return {}


class Doubling:
    name = "doubling oracle"

    @staticmethod
    def double(n: int) -> int:
        return 2 * n


def doubles(ctx: Context, case: Number) -> None:
    ctx.expect_value("double", ctx.call("double", case.value), ctx.oracle.double(case.value), case)


def test_a_check_that_failed_in_its_family_shrinks_the_kind_of_failure_the_family_saw() -> None:
    """The family saw a wrong value; run alone, the check's own stream meets an exception first (every small input
    raises): the result still shows a wrong value, never the exception."""
    def double(n: int) -> int:
        if n < 900:
            raise ValueError("inputs below 900 are not supported")
        return 3 * n

    check = Check("doubles", "doubles", ("double",), 1.0, doubles, st.integers(0, 1000).map(Number),
                  (Number(1),))
    sandbox = InProcess({"double": double})
    ctx = Context(sandbox, Doubling())
    member = Attempts(check, ctx, QUICK.shrink_examples, QUICK.min_graded)
    try:
        member(Number(950))
    except CheckFailed:
        pass
    result = alone_or_as_seen(member, member.failure, ctx, sandbox.load(), QUICK, QUICK.seed, [], 0.0)
    assert result.status == FAILED and result.message == "double is 2700; expected 1800 for n=900"
