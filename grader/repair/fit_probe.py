"""Grader code the repair search runs in the sandbox child next to a candidate ``fit`` (train): the train check's
own probe, with one parameter's gradients watched, so the search sees whether gradients pile up across steps (a
missing ``optimizer.zero_grad()``). Loaded by file path after the train probes; imports torch only. What it
reports screens candidates; it never grades (the fit's own checks, measured by the grader, accept a repair).
"""

from __future__ import annotations

from typing import Any

import _grader_train_probes as train_probes  # the child loads grader/suites/train/probes.py under this name first
from _grader_train_probes import pick_device, train_evaluate, train_fit  # noqa: F401 - the last module's are the probes


def train_fit_watched(namespace: dict[str, Any], *args: Any) -> dict[str, Any]:
    """The train check's ``train_fit``, and how many gradients reached the first parameter (``arrivals``) and how
    many of them found the gradient of an earlier backward still there (``piled``)."""
    counts = {"arrivals": 0, "piled": 0}
    student_fit = namespace["fit"]

    def watched(model: Any, loader: Any, device: Any, epochs: int) -> Any:
        first = next(iter(model.parameters()))

        def arrived(gradient: Any) -> None:
            counts["arrivals"] += 1
            counts["piled"] += int(first.grad is not None and bool(first.grad.any()))

        first.register_hook(arrived)
        return student_fit(model, loader, device, epochs)

    return {**train_probes.train_fit({**namespace, "fit": watched}, *args), **counts}
