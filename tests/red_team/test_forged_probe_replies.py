"""Attacks on the probes that run next to the student's code (lenet, train): replies forged with the wrong types
and fields fail the checks that read them, with a sentence, and never crash the grader or a report; replies forged
with the right facts earn nothing without a network that has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.reports.html import render_html
from grader.reports.markdown import render_markdown
from grader.reports.results_json import results_json
from grader.reports.terminal import render
from grader.runner import grade, grade_submission
from grader.settings import Settings
from grader.submission import load_submission
from grader.suites.lenet.oracles import published_logits
from red_team.attacking import ATTACKS, ROOT, World, build, output

STUB = ROOT / "assignments" / "lenet" / "lenet.py"


def graded_everywhere(path: Path, assignment: str, data_dir: Path | None = None):
    report = grade_submission(assignment, load_submission(path, assignment), Settings("quick", data_dir=data_dir))
    for rendered in (render(report), render_html(report), render_markdown(report),
                     json.dumps(results_json(report), allow_nan=False)):
        assert rendered
    return report


def test_forged_lenet_replies_fail_their_checks(tmp_path: Path, world: World) -> None:
    path = build(tmp_path / "sub", "lenet", "forges_probe_replies.py", world.places(), base="correct_sequential.py")
    report = graded_everywhere(path, "lenet")
    assert report.score == 0 and all(r.message for r in report.results)


@pytest.mark.parametrize("profile", ["quick", "thorough"])
def test_probes_forging_lenet5s_facts_score_no_more_than_the_stub(profile: str) -> None:
    """No network at all, and every probe replaced by a forgery that reports LeNet-5's parameter count, shapes,
    layer table, output shape and gradients as the assignment's text spells them out: the grader counts such facts
    only once it has seen the network compute LeNet-5 (or a known variant) with weights it drew."""
    report = grade("lenet", ATTACKS / "lenet" / "patches_the_probes.py", Settings(profile))
    called = output(report)
    assert all(f"FORGED {probe}" in called for probe in ("lenet_parameters", "lenet_logits", "lenet_with_weights",
                                                        "lenet_gradients")), called
    stub = grade("lenet", STUB, Settings(profile))
    assert report.max_score == stub.max_score and report.score <= stub.score == 0, \
        [(r.name, r.status, r.message) for r in report.results if r.score]


@pytest.mark.slow
def test_logits_replayed_from_the_student_release_earn_nothing_in_the_official_grade(tmp_path: Path) -> None:
    """The forgeries above, and the logits under the grader's weights answered from the table of LeNet-5's logits the
    student release records. Under the quick profile the table answers (its weights are the published ones), so the
    replay is real; the official grade draws its weights from its seed, and the replay scores no more than a stub."""
    recorded = {key: logits.tolist() for key, logits in published_logits().items() if " " not in key}
    path = build(tmp_path / "sub", "lenet", "replays_published_logits.py", {"recorded": recorded}, base=None)
    local = grade("lenet", path, Settings("quick"))
    assert "REPLAYED" in output(local) and next(r for r in local.results if r.name == "same_function").passed
    official, stub = (grade("lenet", graded, Settings("official", seed=8_675_309)) for graded in (path, STUB))
    assert "FORGED lenet_with_weights" in output(official) and "REPLAYED" not in output(official)
    assert official.score <= stub.score == 0, [(r.name, r.status, r.message) for r in official.results if r.score]


@pytest.mark.slow
def test_forged_training_replies_fail_their_checks_and_the_loss_plot_survives(tmp_path: Path, world: World) -> None:
    path = build(tmp_path / "sub", "train", "forges_training_replies.py", world.places(), base="correct.py")
    report = graded_everywhere(path, "train")  # MNIST from wherever the grader finds it: the fit is forged anyway
    graded = [r for r in report.results if r.max_score]
    assert report.score == 0 and all(r.message for r in graded), [(r.name, r.message) for r in graded]
