"""Where expected values come from: the reference solution when it is importable, PyTorch otherwise."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.oracles.reference_oracle import ReferenceOracle
from grader.oracles.torch_oracle import TorchOracle
from grader.suites.framework import Suite

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


def oracle_for(suite: Suite, name: str = "auto") -> Any:
    """The oracle a suite grades with. A suite kept outside the grader brings its own (``suite.oracles``): its
    reference adapter over ``reference/<name>.py`` in its course folder, or PyTorch."""
    if suite.oracles is None:
        return choose_oracle(name)
    path = suite.home / "reference" / f"{suite.assignment}.py" if suite.home else None
    if name == "pytorch" or path is None or not path.is_file():
        if name == "reference":
            raise RuntimeError(f"--oracle reference needs reference/{suite.assignment}.py in the course folder "
                               f"{suite.home}; use --oracle pytorch")
        return suite.oracles.pytorch()
    return suite.oracles.reference(load_reference(path))


_LOADED = itertools.count()


def load_reference(path: Path) -> ModuleType:
    """Import a reference module from its file under a name of its own (two repositories' modules never clash)."""
    spec = importlib.util.spec_from_file_location(f"_reference_{path.stem}_{next(_LOADED)}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def optional_module(name: str) -> ModuleType | None:
    """A reference module the oracle can do without (PyTorch stands in for it), or None when it is absent."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
