"""Grade one submission against an assignment's suite: load it into a sandbox, run every check.

Each check is a Hypothesis property run with a fixed seed and no example
database, so grading is deterministic (grader.checking); checks that draw from
one strategy object run together on one stream of its inputs (grader.families).
Nothing one check does (or fails to do) keeps the other checks from running.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from grader.checking import budget_spent, run_check, unrun
from grader.families import families, run_family
from grader.oracles import oracle_for
from grader.progress import OnProgress, Progress, running
from grader.repair.found import Repair
from grader.results import FAILED, TIMED_OUT, CheckResult, GradeReport
from grader.sandbox.process import LoadReport, Sandbox
from grader.settings import Profile, Settings
from grader.submission import Submission, SubmissionError, load_submission
from grader.suites import get_suite
from grader.suites.framework import Check, Context, Mistake, Suite


def grade(assignment: str, path: Path, settings: Settings = Settings(),
          on_progress: OnProgress | None = None) -> GradeReport:
    """Grade the submission at ``path`` (a .py, a .ipynb, or a folder holding one); ``on_progress`` hears which
    check runs and how many are done."""
    started = time.monotonic()
    try:
        submission = load_submission(Path(path), assignment)
    except SubmissionError as error:
        report = GradeReport(assignment, str(path), settings.chosen.name, settings.seed_in_force, "", "not started",
                             [unrun(check, str(error)) for check in get_suite(assignment).checks], [str(error)])
        report.seconds = time.monotonic() - started
        return report
    return grade_submission(assignment, submission, settings, on_progress=on_progress)


def unusable(assignment: str, settings: Settings) -> str:
    """Why ``settings`` cannot grade ``assignment`` here, or '': an assignment that trains on MNIST where none is
    found, or the reference oracle where the reference is not installed (a student's install)."""
    from grader.data.mnist import training_data_missing
    from grader.oracles import reference_module

    suite = get_suite(assignment)
    if suite.reads_mnist and (missing := training_data_missing(settings.data_dir)):
        return f"{assignment} trains on MNIST: {missing}"
    if settings.oracle == "reference" and reference_module(suite) is None:
        return (f"--oracle reference needs reference/{assignment}.py, which this installation lacks (a student's "
                "install grades against PyTorch, which course CI proves agrees with the reference): leave --oracle "
                "out")
    return ""


def grade_submission(assignment: str, submission: Submission, settings: Settings = Settings(),
                     only: Callable[[Check], bool] = lambda check: True,
                     on_progress: OnProgress | None = None) -> GradeReport:
    """Grade code cells already read (from a file, or a notebook kernel's history); ``only`` picks checks.
    All checks together get the settings' time budget (default: the profile's, plus the suite's own), in wall-clock
    time and in the CPU time of the submission's processes, whichever runs out first."""
    suite, chosen, run_seed = get_suite(assignment), settings.chosen, settings.seed_in_force
    budget = settings.budget_seconds
    budget = chosen.budget_seconds + suite.extra_budget_seconds if budget is None else budget
    started = time.monotonic()
    the_oracle = oracle_for(suite, settings.oracle)
    report = GradeReport(assignment, str(submission.path), chosen.name, run_seed, the_oracle.name, "not started", [])
    checks = [check for check in suite.checks if only(check)]
    tell = on_progress or (lambda progress: None)
    tell(Progress(assignment, 0, len(checks), "loading your code"))
    with Sandbox(submission, suite.policy, cpu_budget=budget) as sandbox:
        loaded = sandbox.load()
        report.sandbox = sandbox.level
        report.load_messages = list(loaded.cell_errors) + ([loaded.failure.message] if loaded.failure else [])
        report.load_output = sandbox.take_output()  # shown on its own, not under the first check
        report.load_failure = load_failure(suite, loaded)
        context = Context(sandbox, the_oracle, settings, budget_seconds=budget,
                          probed=bool(suite.policy.probe_modules))
        report.results = run_checks(checks, context, loaded, chosen, run_seed, suite.mistakes,
                                    lambda done, now: tell(Progress(assignment, done, len(checks), now)))
    searching = Progress(assignment, len(checks), len(checks), "looking for a change that makes the failed ones pass")
    report.hints = settings.hints
    report.repairs = repairs(suite, submission, report, the_oracle, settings, context, lambda: tell(searching))
    report.seconds = time.monotonic() - started
    return report


def repairs(suite: Suite, submission: Submission, report: GradeReport, oracle: object, settings: Settings,
            context: Context, announce: Callable[[], None]) -> list[Repair]:
    """Verified repairs of the functions that failed a check, searched only when hints are on and only within
    the submission's time budget (grader.repair); code that passes costs nothing here."""
    if settings.hints == "off" or report.load_failure or not any(r.status == FAILED for r in report.results):
        return []
    from grader.repair.search import repair_failures  # here: the repair search grades with run_checks below

    announce()
    return repair_failures(suite, submission, report.results, oracle, settings, context.deadline)


def run_checks(checks: Sequence[Check], ctx: Context, loaded: LoadReport, profile: Profile, run_seed: int,
               mistakes: Sequence[Mistake] = (),
               tell: Callable[[int, str], None] = lambda done, now: None) -> list[CheckResult]:
    """Every check's result, in the order given; checks that share a strategy run together (see run_family), and
    checks left when the submission's time budget is spent are not run. ``tell(done, now)`` hears, before each
    group of checks, how many are done and what runs now."""
    results: dict[str, CheckResult] = {}
    for family in families(checks):
        tell(len(results), running([check.title for check in family]))
        if clock := ctx.out_of_time():
            results |= {c.name: unrun(c, budget_spent("not run", ctx.budget_seconds, clock), TIMED_OUT) for c in family}
        elif len(family) == 1:
            results[family[0].name] = run_check(family[0], ctx, loaded, profile, run_seed, mistakes)
        else:
            results |= run_family(family, ctx, loaded, profile, run_seed, mistakes)
    return [results[check.name] for check in checks]


def load_failure(suite: Suite, loaded: LoadReport) -> str:
    """Why the code did not load at all, or '': loading itself failed, or its cells raised and defined none of
    the functions the suite grades (a syntax error in a .py)."""
    if loaded.failure is not None:
        return loaded.failure.message
    defined = [f for f in suite.functions if loaded.names.get(f) in ("function", "class")]
    return loaded.cell_errors[0] if loaded.cell_errors and not defined else ""
