"""The reference oracle (official grading) and the PyTorch oracle (students' local checks) agree on freshly
generated cases, so a student's local verdict equals the official one. Each suite lists its agreements."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Verbosity, given, seed, settings

from grader.settings import PROFILES
from grader.suites import get_suite
from grader.suites.agreement import Agreement
from grader.validate.findings import FAIL, OK, SKIP, Finding
from grader.validate.run import Run

PROPERTY = "oracles"


def disagreement(agreement: Agreement, reference: Any, pytorch: Any, examples: int, seed_value: int) -> str:
    """'' when the two oracles agree on ``examples`` generated cases; else what differs, on the shrunk case."""
    seen: list[Any] = []

    @settings(max_examples=examples, database=None, deadline=None, verbosity=Verbosity.quiet, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @seed(seed_value)
    @given(agreement.cases)
    def agree(case: Any) -> None:
        seen.append(case)
        agreement.compare(reference, pytorch, case)

    try:
        agree()
    except AssertionError as error:
        return f"{error} for {describe(seen[-1])}"
    return ""


def describe(case: Any) -> str:
    """A case in one line: its own description, else its repr, cut to 160 characters."""
    text = case.describe() if hasattr(case, "describe") else repr(case)
    return text if len(text) <= 160 else text[:157] + "..."


def check(assignment: str, run: Run) -> Finding:
    """Every agreement of the assignment holds on the profile's number of generated cases, with its seed."""
    agreements = get_suite(assignment).agreements
    if not agreements:
        return Finding(assignment, PROPERTY, SKIP, f"the {assignment} suite has no oracle methods of its own")
    profile = PROFILES[run.profile]
    for agreement in agreements:
        problem = disagreement(agreement, run.oracle(assignment), run.pytorch_oracle(assignment), profile.max_examples,
                               profile.seed)
        if problem:
            return Finding(assignment, PROPERTY, FAIL, problem)
    methods = "; ".join(a.methods for a in agreements)
    return Finding(assignment, PROPERTY, OK, f"reference and PyTorch agree on {profile.max_examples} generated "
                                             f"cases each ({methods})")
