"""The base of every assignment's reference adapter: expected values from ``reference/<name>.py``, for official
grading.

An assignment's unit defines ``class <Name>Reference(ReferenceOracle, <Name>Torch)`` with the methods it takes
from its reference module; whatever it does not take (gradients, above all) comes from its PyTorch oracle, as
DESIGN.md asks. Course CI proves the two agree (each suite's agreements), so a student's local verdict equals the
official one.
"""

from __future__ import annotations

from types import ModuleType


class ReferenceOracle:
    """Put first among an adapter's bases: names the oracle and keeps the reference module (``module``)."""

    name = "reference"

    def __init__(self, module: ModuleType | None = None) -> None:
        super().__init__()  # the PyTorch oracle's own start (it fetches torch for the gradients)
        self.module = module
