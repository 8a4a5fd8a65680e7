"""Attacks on the comparison and on the wire: outputs that lie about their values or type, and replies forged on
the sandbox's reply pipe (student code can write anything there). None may score, or crash the grader."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_team.attacking import (ATTACKS, FIXTURES, World, assert_contained, build, every_function, grade_attack,
                                messages)
from grader.results import PASSED
from grader.runner import grade

POOL = {"max_pool_forward", "avg_pool_forward"}  # the attacked function, and one it leaves alone
MODEL = "model_param_count"


def build_pool(tmp_path: Path, name: str, world: World) -> Path:
    return build(tmp_path / "sub", "pool", name, world.places(), base="correct_vectorised.py")


def test_monkeypatched_numpy_comparisons_do_not_reach_the_grader(tmp_path: Path, world: World) -> None:
    """np.allclose, np.isclose, np.array_equal, np.testing and ndarray.__eq__ patched to say "equal", and
    zeros returned: the grader compares in its own process."""
    report = grade_attack(build_pool(tmp_path, "monkeypatches_comparisons.py", world), "pool", POOL)
    assert_contained(report, {"max_pool_forward"}, POOL)
    assert all("differs from the expected values" in m for m in messages(report, "max_pool_forward"))


@pytest.mark.parametrize("attack, phrase", [
    ("lying_subclass.py", "a numpy.ndarray subclass"),
    ("object_dtype.py", "dtype object"),
    ("complex.py", "has dtype complex"),
    ("nan.py", "contains nan"),
    ("broadcastable_scalar.py", "has shape (1, 1, 1, 1)"),
])
def test_an_output_of_the_wrong_kind_fails_even_with_the_right_values(attack: str, phrase: str, tmp_path: Path,
                                                                       world: World) -> None:
    """A subclass whose comparisons all say "equal" (holding zeros), the right values as object, float16 or
    complex, NaN everywhere, one number that broadcasts."""
    report = grade_attack(build_pool(tmp_path, attack, world), "pool", POOL)
    assert_contained(report, {"max_pool_forward"}, POOL)
    assert all(phrase in m for m in messages(report, "max_pool_forward"))


def test_float16_values_fail_the_value_checks_and_the_dtype_check(tmp_path: Path, world: World) -> None:
    """The right values rounded to float16: the values check compares them with float64's tolerance (only the
    lecture's small integers survive the rounding), and the dtype check fails."""
    report = grade_attack(build_pool(tmp_path, "float16.py", world), "pool", POOL)
    by_name = {r.name: r for r in report.results}
    assert not by_name["max_forward_values"].passed
    assert "its dtype is also float16" in by_name["max_forward_values"].message
    assert by_name["max_forward_dtype"].score == 0 and "has dtype float16" in by_name["max_forward_dtype"].message
    assert all(r.passed for r in report.results if "avg_pool_forward" in r.functions)


def test_a_forged_reply_with_a_lying_npy_header_is_refused_unread(tmp_path: Path, world: World) -> None:
    """A .npy declaring a 7 TiB array over 64 bytes, and a blob declared 4 EiB long: refused before anything
    is allocated, and the other functions are graded."""
    report = grade_attack(build(tmp_path / "sub", "params", "forged_npy_header.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", "linear_param_count"})
    assert "declares shape (1000000000000,)" in messages(report, "conv2d_param_count")[0]


def test_forged_replies_with_malformed_fields_fail_only_their_functions(tmp_path: Path, world: World) -> None:
    """An error that is a string, and modified arguments that are not numbers."""
    report = grade_attack(build(tmp_path / "sub", "params", "forged_reply_fields.py", world.places()), "params")
    assert_contained(report, {"layer_output_shape", "receptive_field"})


def test_forged_values_no_child_sends_fail_only_their_functions(tmp_path: Path, world: World) -> None:
    """JSON nested 100,000 deep, a 2 GiB numpy void scalar, an int8 scalar of 1000, a nested object name."""
    report = grade_attack(build(tmp_path / "sub", "params", "forged_values.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", "linear_param_count", "layer_output_shape", "receptive_field"})
    statuses = [r.status for r in report.results if MODEL in r.functions]
    assert len(statuses) >= 2 and set(statuses) == {PASSED}


def test_a_forged_reply_to_the_load_fails_every_check(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "forged_load_reply.py", world.places()), "params")
    assert_contained(report, every_function("params"))
    assert all(r.message.startswith("loading your code") for r in report.results)


def test_replies_over_the_size_limits_are_refused_unread(tmp_path: Path, world: World) -> None:
    """A list of 300,000 numbers (a 2 MB header; the limit is 1 MiB) and a 320 MiB array (the limit is 256)."""
    report = grade_attack(build(tmp_path / "sub", "params", "huge_reply.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", "receptive_field"})


@pytest.mark.slow
def test_a_lying_tensor_subclass_scores_no_more_than_the_honest_network(tmp_path: Path) -> None:
    """A tanh / average-pooling LeNet whose forward returns a torch.Tensor subclass with lying comparisons and
    a lying .numpy(), against the same network returning a plain tensor."""
    honest = grade("lenet", FIXTURES / "lenet" / "tanh_avgpool.py")
    lying = grade("lenet", ATTACKS / "lenet" / "lying_tensor.py")
    assert [r.name for r in lying.results] == [r.name for r in honest.results]
    assert lying.score <= honest.score < honest.max_score
    assert not next(r for r in lying.results if r.name == "same_function").passed
