"""The repair search on real submissions, graded in the sandbox: a verified repair for a failed function, a hint a
student can follow to a passing check, nothing said when the budget runs out or a candidate fails fresh inputs,
and no search at all for code that passes or when hints are off. Each search takes seconds: few tests here; the
corpus as a whole is the bench's (bench/repair_bench.py)."""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from grader.batch.executor import LocalExecutor
from grader.batch.job import INSTRUCTOR_NAME
from grader.batch.run import run_batch
from grader.oracles import oracle_for
from grader.repair import search as searching
from grader.repair import trial
from grader.repair.rewrites import rewrites
from grader.repair.source import find_definition
from grader.repair.array_rules import RULES
from grader.repair.verify import fresh_seed, verified
from grader.reports.markdown import render_markdown
from grader.results import FAILED, PASSED
from grader.runner import grade, grade_submission
from grader.sandbox.process import Sandbox
from grader.settings import Settings
from grader.submission import SourceCell, load_submission
from grader.suites import get_suite

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
DAVE = EXAMPLES / "pool" / "dave.py"
HINTED = Settings(hints="diff", repair_seconds=120)


@pytest.fixture(scope="module")
def dave() -> object:
    return grade("pool", DAVE, HINTED)


def test_a_failed_function_gets_a_verified_repair_that_leaves_the_grade_alone(dave) -> None:
    [repair] = dave.repairs
    assert repair.function == "avg_pool_backward" and repair.rules == ("average not divided",)
    assert repair.verified_seed == fresh_seed(dave.seed) != dave.seed
    assert "/ (ph * pw)" in repair.diff
    unhinted = grade("pool", DAVE, Settings())
    assert unhinted.repairs == [] and [r.score for r in unhinted.results] == [r.score for r in dave.results]


def apply_diff(text: str, diff: str) -> str:
    """``text`` with a unified diff applied, as a student would apply the hint by hand (the hunks' line numbers
    count from the start of ``text``)."""
    lines, shift = text.split("\n"), 0
    for hunk in re.split(r"(?m)^(?=@@ )", diff)[1:]:
        start = int(re.match(r"@@ -(\d+)", hunk).group(1)) - 1 + shift
        body = [line for line in hunk.split("\n")[1:] if line[:1] in (" ", "-", "+")]
        old = [line[1:] for line in body if line[0] in " -"]
        new = [line[1:] for line in body if line[0] in " +"]
        assert lines[start:start + len(old)] == old, "the hint's context does not match the student's code"
        lines[start:start + len(old)] = new
        shift += len(new) - len(old)
    return "\n".join(lines)


def shown_diff(report) -> str:
    """The change the student's Markdown report shows (hint level diff): its fenced diff block, the same under each
    check the function failed."""
    [block] = set(re.findall(r"```diff\n(.*?)\n```", render_markdown(report), re.DOTALL))
    return block


def failed_checks(report) -> set[str]:
    return {r.name for r in report.results if r.status == FAILED}


def test_following_the_hint_turns_the_failing_checks_into_passing_ones(dave, tmp_path: Path) -> None:
    patched = tmp_path / "dave.py"
    patched.write_text(apply_diff(DAVE.read_text(), shown_diff(dave)))
    again = grade("pool", patched, Settings())
    assert failed_checks(dave) == {"avg_backward_values"}
    assert all(r.status == PASSED for r in again.results if r.name in failed_checks(dave))
    assert again.score > dave.score


def test_following_the_hint_in_a_notebook_cell(tmp_path: Path) -> None:
    bob = EXAMPLES / "conv" / "bob.ipynb"
    report = grade("conv", bob, HINTED)
    [repair] = report.repairs
    assert repair.rules == ("stride missing",) and repair.changes[0].where.startswith("bob.ipynb, cell 7, line ")
    notebook = json.loads(bob.read_text())
    cell = notebook["cells"][6]
    cell["source"] = apply_diff("".join(cell["source"]), shown_diff(report))
    patched = tmp_path / "bob.ipynb"
    patched.write_text(json.dumps(notebook))
    again = grade("conv", patched, Settings())
    assert failed_checks(report) == {"backward_dx", "backward_dw"} and failed_checks(again) == set()


def test_the_line_hint_names_the_lines_the_change_touches(dave) -> None:
    [change] = replace(dave, hints="line").repairs[0].changes
    line = int(change.where.rsplit(" ", 1)[1])
    assert change.says == "an average divides by the window size (ph * pw)"
    assert DAVE.read_text().split("\n")[line - 1].strip() == "dx[n, c, i * stride + di, j * stride + dj] += dout[n, c, i, j]"


def test_no_repair_within_the_budget_says_nothing() -> None:
    report = grade("pool", DAVE, replace(HINTED, repair_seconds=0.01))
    assert report.repairs == [] and "Hint" not in render_markdown(report)


def test_a_candidate_that_fails_fresh_inputs_is_never_reported(dave, monkeypatch: pytest.MonkeyPatch) -> None:
    only_the_repair = lambda definition, rules: [r for r in rewrites(definition, rules)  # noqa: E731
                                                 if r.rule == "average not divided"]
    monkeypatch.setattr(searching, "rewrites", only_the_repair)
    monkeypatch.setattr(trial, "verified", lambda *args: None)
    suite = get_suite("pool")
    found = searching.search(suite, load_submission(DAVE, "pool"), "avg_pool_backward", dave.results,
                             oracle_for(suite, "auto"), HINTED, 60)
    assert found.repair is None and found.repaired is None and found.failed_fresh_inputs == 1


def test_verification_grades_the_change_on_fresh_inputs(dave) -> None:
    suite, submission = get_suite("pool"), load_submission(DAVE, "pool")
    definition = find_definition(submission, "avg_pool_backward")
    proposed = rewrites(definition, RULES)
    right = next(r for r in proposed if r.rule == "average not divided")
    wrong = next(r for r in proposed if r.rule == "+= instead of =")
    oracle, deadline = oracle_for(suite, "auto"), float("inf")
    assert verified(suite, definition, right.sites, dave.results, oracle, HINTED, deadline) == fresh_seed(0)
    assert verified(suite, definition, wrong.sites, dave.results, oracle, HINTED, deadline) is None


def test_no_search_for_code_that_passes_nor_with_hints_off(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("searched")

    monkeypatch.setattr(searching, "search", refuse)
    assert grade("pool", EXAMPLES.parent.parent / "reference" / "pool.py", HINTED).repairs == []
    assert grade("pool", DAVE, Settings(hints="off")).repairs == []


def test_run_more_replaces_a_definition_in_the_live_child_and_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_text("import time\n\ndef f(x):\n    return x + 1\n")
    submission = load_submission(path, "conv")
    policy = replace(get_suite("conv").policy, limits=replace(get_suite("conv").policy.limits, call_seconds=2))
    changed = SourceCell(textwrap.dedent("""
        def f(x):
            if x < 0:
                time.sleep(10)
            return x + 2
    """), "f.py", 3)
    with Sandbox(submission, policy) as sandbox:
        sandbox.load()
        assert sandbox.call("f", 1).value == 2
        sandbox.run_more(replace(submission, cells=submission.cells + (changed,)), (changed,))
        assert sandbox.call("f", 1).value == 3
        with pytest.raises(Exception, match="timed out"):
            sandbox.call("f", -1)
        assert sandbox.call("f", 1).value == 3  # the restarted child loaded the changed submission


@pytest.mark.slow
def test_following_the_hint_for_a_network(tmp_path: Path) -> None:
    erin = EXAMPLES / "lenet" / "erin.py"
    report = grade("lenet", erin, replace(HINTED, repair_seconds=300))
    [repair] = report.repairs
    assert sorted(repair.rules) == ["activation", "pooling"]
    patched = tmp_path / "erin.py"
    patched.write_text(apply_diff(erin.read_text(), shown_diff(report)))
    assert failed_checks(report) and failed_checks(grade("lenet", patched, Settings())) == set()


CORPUS = Path(__file__).parent / "fixtures" / "repairs"
ONE_OF_EACH_MISS = ["conv/scalar_square_kernel_forward.py", "lenet/sequential_built_for_32x32.py",
                    "lenet/modules_log_softmax_output.py", "pool/loops_max_backward_assigned.py",
                    "conv/loops_flipped_kernel.py", "conv/loops_forward_ignores_stride.py", "conv/loops_dx_assigned.py"]


@pytest.mark.slow
@pytest.mark.parametrize("file", ONE_OF_EACH_MISS)
def test_each_kind_of_miss_gets_its_expected_repair(file: str) -> None:
    [entry] = [e for e in tomllib.loads((CORPUS / "corpus.toml").read_text())["wrong"] if e["file"] == file]
    report = grade_submission(entry["assignment"], load_submission(CORPUS / file, entry["assignment"]),
                              replace(HINTED, repair_seconds=300), only=lambda c: entry["function"] in c.functions)
    [repair] = [r for r in report.repairs if r.function == entry["function"]]
    assert sorted(repair.rules) == sorted(entry["rules"])


def test_a_batch_run_again_at_another_hint_level_regrades_and_its_reports_follow_the_level(tmp_path: Path) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    submissions.mkdir()
    (submissions / "dave.py").write_text(DAVE.read_text())

    def batch(level: str) -> tuple[list[str], str, str]:
        """Who was graded, dave's report.md and the repairs in his results.json."""
        graded: list[str] = []
        with LocalExecutor(1) as pool:
            run_batch("pool", submissions, out, Settings("quick", hints=level), executor=Recording(pool, graded))
        results = json.loads((out / "dave" / "results.json").read_text())
        return graded, (out / "dave" / "report.md").read_text(), json.dumps(results["extra_data"]["repairs"])

    graded, report, repairs = batch("line")
    assert graded == ["dave"] and "Hint:" in report and "```diff" not in report and "/ (ph * pw)" in repairs
    assert "/ (ph * pw)" in (out / "dave" / INSTRUCTOR_NAME).read_text()  # the instructor's view: in full
    assert batch("line")[0] == []  # the same level: nothing to redo
    graded, report, repairs = batch("diff")
    assert graded == ["dave"] and "```diff" in report and "/ (ph * pw)" in report
    graded, report, repairs = batch("off")
    assert graded == ["dave"] and "Hint:" not in report and repairs == "[]"


class Recording:
    """An executor that notes whose submission it grades, around another."""

    def __init__(self, inner: LocalExecutor, graded: list[str]) -> None:
        self.inner, self.graded, self.workers = inner, graded, inner.workers

    def submit(self, job):
        self.graded.append(job.entry.student_id)
        return self.inner.submit(job)

    def close(self, cancel: bool = False) -> None:
        self.inner.close(cancel)
