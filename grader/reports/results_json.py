"""A grade as Gradescope's ``results.json`` (a contract): everything but the score and each test's text goes under
``extra_data``; every string is printable (no control character from student code reaches a terminal). The texts
are Markdown (``output_format: "md"``), each test's the same section as in the local Markdown report."""

from __future__ import annotations

from typing import Any

from grader.reports.markdown import render_check_markdown, summary_markdown
from grader.reports.view import check_hint, check_view
from grader.results import GradeReport
from grader.sandbox.printable import printable_data


def leaderboard(report: GradeReport) -> list[dict[str, Any]]:
    """The assignment's leaderboard entries for this grade (Gradescope shows them when the leaderboard is on)."""
    from grader.suites import get_suite

    entries = get_suite(report.assignment).leaderboard
    return [{"name": name, "value": value, "order": order}
            for name, value, order in (entries(report.results) if entries else [])]


def results_json(report: GradeReport) -> dict[str, Any]:
    """The results.json of ``report``, as a plain mapping (``grader.files.json_text`` writes it strictly)."""
    return printable_data({
        "score": round(report.score, 4),
        "execution_time": round(report.seconds, 3),
        "output": summary_markdown(report),
        "output_format": "md",  # Gradescope shows the same formatted feedback as the local Markdown report
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": r.title,
                "number": str(i),
                "score": r.score,
                "max_score": r.max_score,
                "status": r.status.gradescope,  # passed or failed, as the schema allows; extra_data has ours
                "output": render_check_markdown(check_view(r, check_hint(report, r))),
                "tags": list(r.functions),
                "visibility": r.visibility,
                "extra_data": {"check": r.name, "status": r.status, "diagnosis": r.diagnosis,
                               "examples_run": r.examples_run, "inputs": r.inputs,
                               "seconds": round(r.seconds, 3), "counterexample": r.counterexample,
                               "details": r.details},
            }
            for i, r in enumerate(report.results, start=1)
        ],
        **({"leaderboard": board} if (board := leaderboard(report)) else {}),
        "extra_data": {
            "status": report.status,
            "detail": report.detail,
            "functions": report.function_statuses,
            "assignment": report.assignment,
            "submission": report.submission,
            "profile": report.profile,
            "seed": report.seed,
            "oracle": report.oracle,
            "sandbox": report.sandbox,
            "load_messages": report.load_messages,
            "timings": {r.name: round(r.seconds, 3) for r in report.results},
            "hints": report.hints,
            "repairs": [repair.as_json() for repair in report.repairs],  # in full, whatever the students see
        },
    })
