"""Expected values from the instructor's reference solution (``reference/<name>.py``), for official grading.

Each suite subclasses ``ReferenceOracle`` with the methods it takes from its own module; whatever an adapter
does not take from the reference (gradients, above all) it inherits from the PyTorch oracle, as DESIGN.md asks.
Course CI proves each adapter agrees with PyTorch (the suites' agreements), so a student's local verdict equals
the official one.
"""

from __future__ import annotations

from types import ModuleType

from grader.oracles.torch_oracle import TorchOracle


class ReferenceOracle(TorchOracle):
    """The PyTorch oracle with some methods taken from one reference module (``module``)."""

    name = "reference"

    def __init__(self, module: ModuleType | None = None) -> None:
        self.module = module
