"""The official grade cannot be memorised. A submission that computes nothing and answers every call from a table,
recorded with the grader's own machinery and PyTorch over the runs a student with the release can make (the public
profiles, any seed), gets most of the marks of a recorded run, and on the official grade (its seed drawn from the
course secret and the submission) no more than the stub: nothing, but the checks whose every case is a worked
example the assignment's text prints with its answer (a table of the text, no more). (An attack on the grade's design,
not on the sandbox: it lives here rather than in red_team/, whose tests run again as an ordinary user.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from red_team.tables import record_runs, table_submission
from grader.batch.records import content_digest
from grader.official import official_seed
from grader.runner import grade
from grader.settings import PROFILES, Settings
from grader.suites import get_suite
from grader.suites.conv.oracles import ConvTorch
from grader.suites.im2col.oracles import Im2colTorch
from grader.suites.params.oracles import ParamsTorch
from grader.suites.pool.oracles import PoolTorch

pytestmark = pytest.mark.slow
ORACLES = {"conv": ConvTorch, "pool": PoolTorch, "params": ParamsTorch, "im2col": Im2colTorch}
RUNS = [("quick", seed) for seed in range(4)] + [("thorough", PROFILES["thorough"].seed)]
THE_TEXTS_OWN = {"conv": {"forward_worked_examples"}, "pool": {"max_forward_lecture"},
                 "params": {"lecture_models", "big_models", "inception_multiplications"},
                 "im2col": {"forward_worked_examples"}}


@pytest.mark.parametrize("assignment", list(ORACLES))
def test_a_table_of_every_public_run_earns_nothing_on_the_official_grade(assignment: str, tmp_path: Path) -> None:
    table = record_runs(assignment, ORACLES[assignment](), RUNS)
    path = tmp_path / f"{assignment}.py"
    path.write_text(table_submission({}, table, get_suite(assignment).functions))
    recorded = grade(assignment, path, Settings("thorough"))
    assert recorded.score >= recorded.max_score / 2, "the table does not even answer the run it recorded"
    seed = official_seed(b"the course secret", assignment, content_digest((path,)))
    official = grade(assignment, path, Settings("official", seed=seed))
    scored = {r.name: r.score for r in official.results if r.score > 0}
    assert set(scored) <= THE_TEXTS_OWN[assignment], scored
