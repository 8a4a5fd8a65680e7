"""Comparing what a student returned with what was expected: values and dtype apart, the costly problem first."""

from __future__ import annotations

import re

import numpy as np

from grader import compare
from grader.reports.view import feedback
from grader.evidence import GradientError, GradientErrors, ValueMismatch
from grader.results import CheckResult


def test_values_are_compared_whatever_the_dtype() -> None:
    expected = np.array([[1.5, -2.25]], dtype=np.float32)
    assert compare.check_array("out", expected.astype(np.float64), expected) is None


def test_the_looser_tolerance_of_the_two_dtypes_applies() -> None:
    expected = np.array([1.0 / 3.0])
    assert compare.check_array("out", expected.astype(np.float32), expected) is None
    assert compare.check_array("out", expected + 1e-3, expected).kind == compare.VALUES


def test_a_wrong_shape_is_named_before_the_dtype() -> None:
    mismatch = compare.check_array("dx", np.zeros((1, 1, 0, 0)), np.zeros((1, 1, 3, 3), dtype=np.float32))
    assert mismatch.kind == compare.SHAPE
    assert mismatch.message.index("shape (1, 1, 0, 0)") < mismatch.message.index("dtype is also float64")


def test_wrong_values_are_named_before_the_dtype() -> None:
    mismatch = compare.check_array("out", np.array([2.0]), np.array([1.0], dtype=np.float32))
    assert mismatch.message.startswith("out differs from the expected values")
    assert "graded by the dtype check" in mismatch.message


def test_the_dtype_check_names_the_usual_cause() -> None:
    mismatch = compare.check_dtype("out", np.zeros(2), np.dtype(np.float32))
    assert mismatch.kind == compare.DTYPE and "np.zeros(shape, dtype=x.dtype)" in mismatch.message
    assert compare.check_dtype("out", np.zeros(2, np.float32), np.dtype(np.float32)) is None
    assert compare.check_dtype("out", [1.0], np.dtype(np.float32)) is None


def test_plain_values_are_shown_without_quotes() -> None:
    assert compare.shown(61706) == 61706 and compare.shown(np.int64(3)) == 3
    assert compare.shown((1, 6, 28, 28)) == [1, 6, 28, 28]
    assert compare.shown("61706") == "'61706'"
    result = CheckResult("count", "counts", ("model_param_count",), 1, 0, "failed", "wrong",
                         evidence=[ValueMismatch(compare.shown(61706), compare.shown(61000))])
    assert "expected = 61706" in feedback(result) and "'61706'" not in feedback(result)


def test_an_input_too_large_to_show_is_listed_with_its_shape() -> None:
    result = CheckResult("values", "values", ("conv_forward",), 1, 0, "failed", "wrong",
                         counterexample={"description": "x (2, 3, 9, 9)", "arrays": {"w": [[[[1.0]]]]},
                                         "shapes": {"x": [2, 3, 9, 9], "w": [1, 1, 1, 1]}})
    text = feedback(result)
    assert "x: shape (2, 3, 9, 9), too large to show here" in text and "w = " in text


def test_the_gradient_table_keeps_its_columns_apart() -> None:
    rows = (GradientError("dx", "wrong shape", "n/a"),)
    result = CheckResult("dx", "dx", ("conv_backward",), 2, 0, "failed", "wrong", evidence=[GradientErrors(rows)])
    assert re.search(r"dx\s+wrong shape\s+n/a", feedback(result))
