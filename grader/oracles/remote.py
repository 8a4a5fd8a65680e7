"""An oracle whose PyTorch methods are computed in the check's torch process (grader.oracles.torch_process).

The reference adapter's own methods (the forward passes, from ``reference/``) still run here; only what it takes
from its suite's PyTorch oracle (gradients, and everything on a student's install) is sent, to an instance of that
class in the torch process. A call the process cannot answer is computed here by the same code, so the values are
the same either way.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, Callable

from grader.oracles import torch_process
from grader.oracles.lazy_torch import fetch_in_background
from grader.oracles.torch_oracle import TorchOracle


class RemoteOracle:
    """``oracle`` with the methods it inherits from ``torch_class`` computed in the torch process."""

    def __init__(self, oracle: Any, torch_class: type, process: torch_process.TorchProcess) -> None:
        self.oracle, self.torch_class, self.process = oracle, torch_class, process
        self.key = f"{torch_class.__module__}:{torch_class.__qualname__}"

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.oracle, name)
        owner = defined_by(type(self.oracle), name)
        if not callable(attribute) or owner is None or not issubclass(self.torch_class, owner):
            return attribute
        return self.remote(name, attribute)

    def remote(self, name: str, here: Callable[..., Any]) -> Callable[..., Any]:
        """Method ``name`` as the torch process computes it; ``here`` (the same method) where it does not."""
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return self.process.call(self.key, name, args, kwargs)
            except torch_process.Unanswered:
                return here(*args, **kwargs)

        return call


def defined_by(kind: type, name: str) -> type | None:
    """The class in ``kind``'s method resolution order whose own attribute ``name`` is (None: the instance's)."""
    return next((owner for owner in kind.__mro__ if name in vars(owner)), None)


def served(suite: Any, oracle: Any) -> Any:
    """``oracle`` as the check uses it: remote where a torch process serves this check and this oracle computes
    with its suite's PyTorch oracle; else as it is, and a torch process of no use to it is stopped (torch is
    then imported here, as before: on a thread from now)."""
    process = torch_process.current()
    if process is None:
        return oracle
    torch_class = suite.oracles.pytorch
    if uses_torch_process(oracle, torch_class):
        return RemoteOracle(oracle, torch_class, process)
    torch_process.stop()
    if getattr(oracle, "uses_torch", False):
        fetch_in_background()
    return oracle


def uses_torch_process(oracle: Any, torch_class: Any) -> bool:
    """Whether the torch process can compute ``oracle``'s PyTorch methods: they are its suite's PyTorch oracle
    class's, a class the process can import by name, and this process has not imported torch itself (a suite that
    computes with it outside its oracle)."""
    return (isinstance(torch_class, type) and issubclass(torch_class, TorchOracle) and isinstance(oracle, torch_class)
            and oracle.uses_torch and "torch" not in sys.modules
            and importlib.util.find_spec(torch_class.__module__.partition(".")[0]) is not None)
