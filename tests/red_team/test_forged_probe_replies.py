"""Attacks on the probes that run next to the student's code (lenet, train): replies forged with the wrong types
and fields fail the checks that read them, with a sentence, and never crash the grader or a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.reports.html import render_html
from grader.reports.markdown import render_markdown
from grader.reports.results_json import results_json
from grader.reports.terminal import render
from grader.runner import grade_submission
from grader.settings import Settings
from grader.submission import load_submission
from red_team.attacking import World, build


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


@pytest.mark.slow
def test_forged_training_replies_fail_their_checks_and_the_loss_plot_survives(tmp_path: Path, world: World) -> None:
    path = build(tmp_path / "sub", "train", "forges_training_replies.py", world.places(), base="correct.py")
    report = graded_everywhere(path, "train")  # MNIST from wherever the grader finds it: the fit is forged anyway
    graded = [r for r in report.results if r.max_score]
    assert report.score == 0 and all(r.message for r in graded), [(r.name, r.message) for r in graded]
