"""The terminal report of `grader check`: every check with its points, and for a failure why and on what."""

from __future__ import annotations

import textwrap

from grader.reports.view import check_hint, feedback, function_line, summary
from grader.results import PASSED, GradeReport
from grader.sandbox.printable import printable


def render(report: GradeReport) -> str:
    """The whole report as text, ending with the score and what the profile means."""
    lines = [f"Grading {report.assignment}: {report.submission}",
             f"{report.profile} profile, seed {report.seed}, oracle: {report.oracle or 'none'}, "
             f"sandbox: {report.sandbox}", ""]
    for message in report.load_messages:
        lines.append(f"  Loading your code: {message}")
    if report.load_output.strip():
        lines.append(textwrap.indent("Your code printed while it loaded:\n" + report.load_output.rstrip(), "  "))
    if report.load_messages or report.load_output.strip():
        lines.append("")
    width = max((len(result.status) for result in report.results), default=0)  # the status words' column
    for result in report.results:
        points = f"{result.score:g}/{result.max_score:g}"
        lines.append(f"  {result.status.upper():<{width}}{points:>9}   {result.title}")
        if result.status != PASSED or result.notes:
            lines.append(textwrap.indent(feedback(result, check_hint(report, result)), " " * (width + 11)))
    lines += ["", f"Functions: {function_line(report)}", summary(report)]
    if report.profile == "quick":
        lines.append("The official grade runs the same checks with the thorough profile (more inputs, another seed).")
    return printable("\n".join(lines))
