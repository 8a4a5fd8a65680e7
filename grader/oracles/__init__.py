"""Where expected values come from: the reference solution when it is importable, PyTorch otherwise."""

from __future__ import annotations

import importlib
from types import ModuleType

from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle

ORACLE_NAMES = ("auto", "reference", "pytorch")
REQUIRED_MODULES = ("conv", "pool", "params")  # reference/<name>.py, ReferenceOracle's positional arguments
OPTIONAL_MODULES = ("lenet", "im2col")  # its keyword arguments: without one, PyTorch stands in for its methods


def choose_oracle(name: str = "auto") -> TorchOracle:
    """The oracle to grade with: ``reference`` (instructor mode), ``pytorch`` (student mode) or ``auto``."""
    if name == "pytorch":
        return TorchOracle()
    try:
        modules = [importlib.import_module(f"reference.{part}") for part in REQUIRED_MODULES]
    except ImportError:
        if name == "reference":
            raise RuntimeError("--oracle reference needs the reference/ package, which this installation lacks; "
                               "use --oracle pytorch") from None
        return TorchOracle()
    return ReferenceOracle(*modules, **{part: optional_module(f"reference.{part}") for part in OPTIONAL_MODULES})


def optional_module(name: str) -> ModuleType | None:
    """A reference module the oracle can do without (PyTorch stands in for it), or None when it is absent."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
