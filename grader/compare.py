"""Compare what a student function returned with what was expected, and say precisely how it differs.

Values and dtype are graded apart. ``check_array`` compares values whatever
the dtype: a plain ``numpy.ndarray`` (not a list, not a subclass) of a
numeric dtype, the expected shape, finite values, then values within the
looser tolerance of the two dtypes; a wrong dtype is only mentioned, after
the problem that costs the check. ``check_dtype`` grades the dtype alone, for
the small per-function checks that outputs keep the input's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from grader.evidence import ArrayMismatch
from grader.sandbox import wire

TOLERANCES: Mapping[str, tuple[float, float]] = {
    "float64": (1e-6, 1e-8),
    "float32": (1e-4, 1e-5),
}
MAX_SHOWN_ELEMENTS = 64
TYPE, DTYPE, SHAPE, NONFINITE, VALUES = "type", "dtype", "shape", "non-finite", "values"


@dataclass(frozen=True)
class Mismatch:
    """Why a returned array is not the expected one (``kind``: type, shape, non-finite or values), with the
    evidence for the report."""

    message: str
    evidence: ArrayMismatch | None = None
    kind: str = VALUES


def describe_type(value: Any) -> str:
    """A student-readable name for a value's type: 'a list', 'a numpy.ndarray subclass M', 'None'."""
    if value is None:
        return "None"
    if isinstance(value, wire.Foreign):
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"a numpy.ndarray of dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"a numpy {value.dtype} scalar"
    if isinstance(value, wire.Handle):
        return "an object"
    return f"a {type(value).__name__}"


def check_array(what: str, actual: Any, expected: np.ndarray) -> Mismatch | None:
    """Return why ``actual``'s values are not ``expected``'s (type, shape, finiteness, values), or None; the dtype
    is not graded here, only named when something else is wrong too."""
    if type(actual) is not np.ndarray:
        hint = " (convert it with np.asarray)" if isinstance(actual, (list, tuple, int, float)) else ""
        return Mismatch(f"{what} is {describe_type(actual)}; expected a numpy.ndarray{hint}", None, TYPE)
    if actual.dtype.kind not in "fiu":
        return Mismatch(f"{what} has dtype {actual.dtype}; expected a numeric array like {expected.dtype}", None, TYPE)
    also = dtype_note(actual, expected)
    if actual.shape != expected.shape:
        return Mismatch(f"{what} has shape {actual.shape}; expected {expected.shape}{also}", None, SHAPE)
    rtol, atol = tolerance(actual.dtype, expected.dtype)
    close = np.isclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol)
    if not np.all(np.isfinite(actual)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(actual))[0])
        return Mismatch(f"{what} contains {actual[bad]} at index {bad}{also}", array_mismatch(actual, expected, close),
                        NONFINITE)
    if close.all():
        return None
    evidence = array_mismatch(actual, expected, close)
    where = evidence.worst_index
    return Mismatch(
        f"{what} differs from the expected values in {evidence.mismatches} of {actual.size} entries; "
        f"the largest error is {evidence.max_abs_error:.4g} at index {where} "
        f"(got {actual[where]:.6g}, expected {expected[where]:.6g}){also}",
        evidence,
    )


def check_dtype(what: str, actual: Any, expected: np.dtype) -> Mismatch | None:
    """Return why ``actual`` does not have the ``expected`` dtype, or None; anything but an array is left to the
    value checks."""
    if not isinstance(actual, np.ndarray) or actual.dtype == expected:
        return None
    return Mismatch(f"{what} has dtype {actual.dtype}; expected {expected}, the input's dtype{allocation_hint(actual)}",
                    None, DTYPE)


def dtype_note(actual: np.ndarray, expected: np.ndarray) -> str:
    """A clause naming a wrong dtype next to the problem that fails a value check ('' when the dtype is right)."""
    if actual.dtype == expected.dtype:
        return ""
    return f"; its dtype is also {actual.dtype} where the input's is {expected.dtype} (graded by the dtype check)"


def allocation_hint(actual: np.ndarray) -> str:
    """The usual cause of a float64 output for float32 input, said once, where the dtype is graded."""
    if actual.dtype == np.float64:
        return (" (the usual cause: np.zeros(shape) makes float64; allocate with np.zeros(shape, dtype=x.dtype) or "
                "np.zeros_like(x))")
    return ""


def tolerance(actual: np.dtype, expected: np.dtype) -> tuple[float, float]:
    """(rtol, atol): the looser of the two dtypes' tolerances, so a value check never fails for precision that
    only the dtype took away."""
    pairs = [TOLERANCES.get(dtype.name, (0.0, 0.0)) for dtype in (actual, expected)]
    return max(rtol for rtol, _ in pairs), max(atol for _, atol in pairs)


def array_mismatch(actual: np.ndarray, expected: np.ndarray, close: np.ndarray) -> ArrayMismatch:
    """Largest absolute and relative errors, where they are, how many entries differ (``close`` is False), and
    small arrays for the report."""
    with np.errstate(all="ignore"):
        error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        error = np.where(np.isfinite(error), error, np.inf)
        relative = np.where(error == 0, 0.0, error / np.abs(expected.astype(np.float64)))
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape)) if error.size else ()
    shown = actual.size <= MAX_SHOWN_ELEMENTS
    return ArrayMismatch(int((~close).sum()), float(error.max()) if error.size else 0.0,
                         float(relative.max()) if error.size else 0.0, worst,
                         actual.tolist() if shown else None, expected.tolist() if shown else None,
                         (~close).tolist() if shown else None)


def check_value(what: str, actual: Any, expected: Any) -> str | None:
    """Return why a plain value (int, or a tuple of ints) differs from ``expected``, or None."""
    if isinstance(expected, tuple):
        if isinstance(actual, list):
            return f"{what} is a list {wire_text(actual)}; return a tuple"
        if not isinstance(actual, tuple):
            return f"{what} is {describe_type(actual)}; expected the tuple {expected}"
        if len(actual) != len(expected) or any(check_value(what, a, e) for a, e in zip(actual, expected)):
            return f"{what} is {wire_text(actual)}; expected {expected!r}"
        return None
    if isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
        if isinstance(actual, bool) or not isinstance(actual, (int, np.integer)):
            if isinstance(actual, (float, np.floating)) and float(actual).is_integer():
                return f"{what} is the float {actual!r}; return an int (use // for whole-number division)"
            return f"{what} is {describe_type(actual)} ({wire_text(actual)}); expected the int {expected}"
        return None if int(actual) == int(expected) else f"{what} is {int(actual)}; expected {expected}"
    return None if actual == expected else f"{what} is {wire_text(actual)}; expected {expected!r}"


def shown(value: Any) -> Any:
    """A plain value as the report shows it: numbers and tuples of numbers as themselves (no quotes), anything
    else as its (short) repr."""
    def number(v: Any) -> bool:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)

    if number(value):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple) and all(map(number, value)):
        return [shown(v) for v in value]
    return wire_text(value)


def wire_text(value: Any) -> str:
    """The repr of a value (cut short: a student may return a huge one), or what the child said about a value it
    could not send."""
    text = value.text if isinstance(value, wire.Foreign) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
