"""What a check hands to its result besides the sentence: the evidence a student needs to fix a failure.

Each kind is a small frozen type that a check (or ``compare``) builds from values it has validated, and that
every renderer (``grader.reports.view`` for text, ``grader.reports.html``) shows in its own way. ``as_json`` is
its part of ``extra_data.details`` in results.json, whose keys are a contract for course scripts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence


class Evidence(Protocol):
    def as_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ArrayMismatch:
    """How an array differs from the expected one; small arrays are kept whole for the report to show."""

    mismatches: int
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    actual: list | None = None
    expected: list | None = None
    differs: list | None = None

    def as_json(self) -> dict[str, Any]:
        kept = {"actual": self.actual, "expected": self.expected, "differs": self.differs}
        return {"max_abs_error": self.max_abs_error, "max_rel_error": self.max_rel_error,
                "worst_index": self.worst_index, "mismatches": self.mismatches,
                **{key: value for key, value in kept.items() if value is not None}}


@dataclass(frozen=True)
class ValueMismatch:
    """A plain value (a count, a shape) and the expected one, as the report shows them."""

    expected: Any
    actual: Any

    def as_json(self) -> dict[str, Any]:
        return {"expected": self.expected, "actual": self.actual}


@dataclass(frozen=True)
class GradientError:
    """One gradient's largest error against autograd and against central differences (or why not measured)."""

    gradient: str
    vs_autograd: float | str
    vs_numeric: float | str


@dataclass(frozen=True)
class GradientErrors:
    """Every gradient of a backward pass, so a student sees which of them is wrong."""

    rows: tuple[GradientError, ...]

    def as_json(self) -> dict[str, Any]:
        return {"gradient_errors": [vars(row) for row in self.rows]}


@dataclass(frozen=True)
class Layer:
    """One row of a network's summary: its type, output shape and parameter count."""

    layer: str
    output_shape: tuple[int, ...]
    parameters: int


@dataclass(frozen=True)
class LayerTables:
    """The student's layers next to the expected ones."""

    yours: tuple[Layer, ...]
    expected: tuple[Layer, ...]

    def as_json(self) -> dict[str, Any]:
        return {"your_layers": [vars(row) for row in self.yours],
                "expected_layers": [vars(row) for row in self.expected]}


@dataclass(frozen=True)
class TrainingRun:
    """What the grader measured of a training run, and the losses fit reported."""

    accuracy: float
    bar: float
    epochs: int
    losses: tuple[Any, ...]  # as fit returned them (the losses check grades them); plotted when all are numbers
    device: str
    seconds: float
    train_data: str
    test_data: str
    descent: Mapping[str, Any] = field(default_factory=dict)  # the descent check's measures (train/descent.py)
    weights_digest: str = ""  # SHA-256 of the weights fit returned: a replay of the run gives the same

    def as_json(self) -> dict[str, Any]:
        return {**vars(self), "losses": list(self.losses), "descent": dict(self.descent)}


@dataclass(frozen=True)
class SpeedFigures:
    """A timed call against its peer, run the same way in the same child."""

    seconds: float
    peer_seconds: float
    ratio: float
    bar: float
    runs: int

    def as_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class StudentTraceback:
    """The student's part of the traceback of an exception their code raised."""

    text: str

    def as_json(self) -> dict[str, Any]:
        return {"traceback": self.text}


def as_json(evidence: Sequence[Evidence]) -> dict[str, Any]:
    """All of a result's evidence as one ``details`` mapping (later pieces win on a shared key)."""
    merged: dict[str, Any] = {}
    for piece in evidence:
        merged.update(piece.as_json())
    return merged


def first(evidence: Sequence[Evidence], kind: type) -> Any:
    """The first piece of ``kind`` in ``evidence``, or None."""
    return next((piece for piece in evidence if isinstance(piece, kind)), None)
