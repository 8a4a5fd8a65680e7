"""Grader code the repair search runs in the sandbox child next to a candidate ``fit`` (train): the train check's
own probe, with the run watched, so the search sees what the fit's checks cannot: whether gradients pile up across
steps (a missing ``optimizer.zero_grad()``; one parameter's gradients are watched), and each epoch's mean
cross-entropy of the batches the network saw (what fit should return). Loaded by file path after the train probes;
imports torch only. What it reports screens candidates; it never grades (the fit's own checks, measured by the
grader, accept a repair).
"""

from __future__ import annotations

from typing import Any, Iterator

import torch

import _grader_train_probes as train_probes  # the child loads grader/suites/train/probes.py under this name first
from _grader_train_probes import pick_device, train_evaluate, train_fit  # noqa: F401 - the last module's are the probes


class Watched:
    """The loader fit is handed, noting each epoch (each pass over it) and the labels of the batch being trained on;
    everything else is the loader's own."""

    def __init__(self, loader: Any, seen: dict[str, Any]) -> None:
        self.loader, self.seen = loader, seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        self.seen["epochs"].append([0.0, 0])
        for batch in self.loader:
            self.seen["labels"] = batch[1]
            yield batch


def train_fit_watched(namespace: dict[str, Any], *args: Any) -> dict[str, Any]:
    """The train check's ``train_fit``; and how many gradients reached the first parameter (``arrivals``), how many
    found an earlier backward's gradient still there (``piled``), and each epoch's mean cross-entropy of the
    network's outputs on its batches (``epoch_means``)."""
    seen: dict[str, Any] = {"arrivals": 0, "piled": 0, "epochs": [], "labels": None}
    student_fit = namespace["fit"]

    def watched(model: Any, loader: Any, device: Any, epochs: int) -> Any:
        first = next(iter(model.parameters()))

        def arrived(gradient: Any) -> None:
            seen["arrivals"] += 1
            seen["piled"] += int(first.grad is not None and bool(first.grad.any()))

        def answered(module: Any, inputs: Any, output: Any) -> None:
            labels = seen["labels"]
            if seen["epochs"] and labels is not None and isinstance(output, torch.Tensor) and \
                    output.dim() == 2 and output.shape[0] == len(labels):
                with torch.no_grad():
                    loss = torch.nn.functional.cross_entropy(output.float(), labels.to(output.device))
                seen["epochs"][-1][0] += float(loss) * len(labels)
                seen["epochs"][-1][1] += len(labels)

        first.register_hook(arrived)
        model.register_forward_hook(answered)
        return student_fit(model, Watched(loader, seen), device, epochs)

    reply = train_probes.train_fit({**namespace, "fit": watched}, *args)
    means = [total / count if count else float("nan") for total, count in seen["epochs"]]
    return {**reply, "arrivals": seen["arrivals"], "piled": seen["piled"], "epoch_means": means}
