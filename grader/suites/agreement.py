"""What the two oracles of an assignment must agree on, so a student's local verdict (PyTorch oracle) equals the
official one (reference oracle). Each suite lists its agreements; ``grader validate`` tests them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st


@dataclass(frozen=True)
class Agreement:
    """Oracle methods that must agree, and the cases they are compared on; ``compare(reference, pytorch, case)``
    raises AssertionError saying what differs."""

    methods: str
    cases: st.SearchStrategy[Any]
    compare: Callable[[Any, Any, Any], None]


def same_array(what: str, reference: np.ndarray, pytorch: np.ndarray) -> None:
    """Equal dtype and shape, and values equal to float64 rounding (float32: to float32 rounding)."""
    if reference.dtype != pytorch.dtype or reference.shape != pytorch.shape:
        raise AssertionError(f"{what}: the reference gives {reference.dtype} {reference.shape}, PyTorch "
                             f"{pytorch.dtype} {pytorch.shape}")
    if not np.allclose(reference, pytorch, rtol=1e-6 if reference.dtype == np.float32 else 1e-12, atol=1e-6):
        raise AssertionError(f"{what}: the reference and PyTorch differ by up to "
                             f"{float(np.abs(reference - pytorch).max()):.3g}")


def same_value(what: str, reference: Any, pytorch: Any) -> None:
    """Exactly equal plain values (counts, shapes)."""
    if reference != pytorch:
        raise AssertionError(f"{what}: the reference gives {reference!r}, PyTorch {pytorch!r}")


def same_method(method: str, array: bool = True) -> Callable[[Any, Any, Any], None]:
    """A comparison of one oracle method called on ``case.args``: arrays (``same_array``) or plain values."""
    def compare(reference: Any, pytorch: Any, case: Any) -> None:
        same = same_array if array else same_value
        same(method, getattr(reference, method)(*case.args), getattr(pytorch, method)(*case.args))

    return compare
