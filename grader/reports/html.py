"""The HTML feedback report: one self-contained file (inline CSS and SVG, nothing fetched), rendered with jinja2
and autoescaping on, so nothing a student's code prints or returns can become markup. What it shows comes from
``grader.reports.view``."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

import grader
from grader.reports.view import report_view
from grader.results import GradeReport

TEMPLATES = Path(grader.__file__).parent / "templates"  # a link to the top-level templates/ in a checkout


def render_html(report: GradeReport, instructor: bool = False) -> str:
    """The whole report as one self-contained HTML document: the student's view, or the instructor's (repairs in
    full)."""
    return environment().get_template("report.html.j2").render(view=report_view(report, instructor))


def render_fragment(report: GradeReport) -> str:
    """The report as a fragment of someone else's page (a notebook's output): one container whose styles apply
    inside it only."""
    return environment().get_template("report_fragment.html.j2").render(view=report_view(report))


@functools.cache
def environment() -> jinja2.Environment:
    """The HTML template environment: autoescaping on, undefined names an error."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
