"""Record, from the grader's own LeNet-5, what the student release checks against instead of it.

``python -m grader.suites.lenet.publish`` writes ``published.json`` (the parameter count, parameter shapes and layer
table of every configuration the checks draw, and the descriptions of the variants students build by mistake) and
``published.npz`` (LeNet-5's logits, and each variant's, for the published weights and inputs of the check of the
network's function, and for its example those of LeNet-5 in each layout of ``LAYOUTS``, which confirm what a
student's network reports of itself). A test
proves the files are what this writes. Withheld from the student release, as model.py is.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from grader.suites.lenet import (IN_CHANNELS, LAYOUTS, NUM_CLASSES, SAME_FUNCTION_CASES, SAME_FUNCTION_EXAMPLE,
                                 NetCase)
from grader.suites.lenet.model import described, variants
from grader.suites.lenet.network import draw_weights
from grader.suites.lenet.oracles import (PUBLISHED_FACTS, PUBLISHED_LOGITS, LenetTorch, configuration,
                                         layout_recording, recording)


def published_files() -> dict[Path, bytes]:
    """The two files' bytes, computed with the grader's own LeNet-5."""
    oracle, differences = LenetTorch(), [described(design) for design in variants()]
    facts = {configuration(c, k): oracle.facts(c, k) for c in NUM_CLASSES for k in IN_CHANNELS}
    logits: dict[str, np.ndarray] = {}
    for case in [SAME_FUNCTION_EXAMPLE, *SAME_FUNCTION_CASES]:
        shapes = facts[configuration(case.num_classes, case.in_channels)]["shapes"]
        weights = draw_weights(shapes, (case.seed, 0))
        key = recording(case.x, weights)
        logits[key] = oracle.logits(case.num_classes, case.in_channels, case.x, weights)
        mistaken = oracle.mistaken_logits(case.num_classes, case.in_channels, case.x, weights)
        logits |= {f"{key} {index}": mistaken[difference] for index, difference in enumerate(differences)}
    example, shapes = SAME_FUNCTION_EXAMPLE, facts[configuration(10, 1)]["shapes"]  # the case that confirms facts
    for layout in LAYOUTS.values():
        weights = draw_weights(layout.shapes(shapes), (example.seed, 0))
        x = NetCase(example.num_classes, example.in_channels, example.batch, example.seed, layout.built_for).x
        logits[layout_recording(layout.padding, layout.built_for, x, weights)] = oracle.layout_logits(
            layout.padding, layout.built_for, example.num_classes, example.in_channels, x, weights)
    archive = io.BytesIO()
    np.savez_compressed(archive, **logits)
    text = json.dumps({"facts": facts, "mistakes": differences}, indent=1, sort_keys=True) + "\n"
    return {PUBLISHED_FACTS: text.encode(), PUBLISHED_LOGITS: archive.getvalue()}


if __name__ == "__main__":
    for path, data in published_files().items():
        path.write_bytes(data)
        print(f"wrote {path}")
