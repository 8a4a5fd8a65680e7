"""Where expected values come from: each suite names its oracles (``Suite.oracles``): PyTorch, the students' local
oracle, and an adapter of the reference solution, the official one when ``reference/`` is at hand."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the framework imports numpy and Hypothesis: the command line's start does without
    from grader.suites.framework import Suite

ORACLE_NAMES = ("auto", "reference", "pytorch")


def oracle_for(suite: Suite, name: str = "auto") -> Any:
    """The oracle a suite grades with: ``pytorch``, ``reference`` (its ``reference/<name>.py``: in the course
    folder of a suite kept outside the grader, else the installed ``reference`` package) or ``auto`` (the
    reference where it is found, else PyTorch); its PyTorch methods computed in the check's torch process where
    one serves it (grader.oracles.remote)."""
    from grader.oracles.remote import served  # numpy with it: the command line's start does without

    module = None if name == "pytorch" else reference_module(suite)
    if module is None and name == "reference":
        raise RuntimeError(f"--oracle reference needs reference/{suite.assignment}.py, which this installation "
                           "lacks; use --oracle pytorch")
    return served(suite, suite.oracles.pytorch() if module is None else suite.oracles.reference(module))


def reference_module(suite: Suite) -> ModuleType | None:
    """The suite's reference solution as a module, or None where it is not installed."""
    if suite.home is not None:
        path = suite.home / "reference" / f"{suite.assignment}.py"
        return load_reference(path) if path.is_file() else None
    try:
        return importlib.import_module(f"reference.{suite.assignment}")
    except ImportError:
        return None


_LOADED = itertools.count()


def load_reference(path: Path) -> ModuleType:
    """Import a reference module from its file under a name of its own (two repositories' modules never clash)."""
    spec = importlib.util.spec_from_file_location(f"_reference_{path.stem}_{next(_LOADED)}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
