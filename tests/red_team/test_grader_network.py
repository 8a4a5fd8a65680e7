"""The grader's own LeNet-5 (lenet's model.py, the answer to that assignment) never enters a sandbox child: the
lenet child checks a network with probes and data, and the train child trains LeNet-5 made of PyTorch's own layers
from its layer list."""

from __future__ import annotations

from red_team.attacking import ATTACKS, output
from grader.runner import grade_submission
from grader.settings import Settings
from grader.submission import load_submission


def test_no_module_of_the_train_child_holds_the_graders_lenet5() -> None:
    path = ATTACKS / "train" / "looks_for_the_graders_lenet.py"
    report = grade_submission("train", load_submission(path, "train"), Settings("quick"),
                              only=lambda check: check.functions == ("pick_device",))
    assert report.results and all(r.passed for r in report.results), [r.message for r in report.results]
    assert "GRADER-NETWORK: none" in output(report), output(report)
