"""PyTorch for the numpy assignments' oracles, imported when first used, and fetched on a thread meanwhile.

Importing torch takes 1.3-4 s on a course machine, longer than a quick check's grading. The reference oracle of
`conv` and `pool` needs it only for gradients, and the grader has work to do before the first one (starting the
sandbox, loading the submission, the checks of the forward pass), much of it waiting on the sandbox's pipes.
``torch`` and ``F`` below stand for the modules and import them on first use; ``fetch_in_background`` starts
the import on a thread as soon as an oracle is made (``TorchOracle.__init__``), so that it runs while the grader
waits. The thread only warms the import: if it fails, the first use imports torch again and raises there. A cold
`grader check` does better: torch's import in a process of its own, on the other core (grader.oracles.torch_process).
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Any

_fetch_lock = threading.Lock()
_fetching: threading.Thread | None = None


class LazyModule:
    """A module that is imported on the first access to one of its attributes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self.module is None:
            self.module = importlib.import_module(self.name)
        return getattr(self.module, attribute)


def fetch_in_background() -> None:
    """Start importing torch on a daemon thread, once per process, unless it is imported already."""
    global _fetching
    with _fetch_lock:
        if _fetching is None and "torch" not in sys.modules:
            _fetching = threading.Thread(target=_import_quietly, name="import torch", daemon=True)
            _fetching.start()


def _import_quietly() -> None:
    """Import torch.nn.functional (and torch with it); a failure is left for the first real use to raise."""
    try:
        importlib.import_module("torch.nn.functional")
    except Exception:  # a warm-up only: the import that needs torch raises the real error
        pass


torch = LazyModule("torch")
F = LazyModule("torch.nn.functional")
