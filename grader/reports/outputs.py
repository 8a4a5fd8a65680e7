"""The texts of one grade that `grader check` shows and writes: the terminal report, results.json, the HTML and the
Markdown report. A cold run and the warm grader render them with this one function, so they cannot drift apart."""

from __future__ import annotations

from typing import Callable, Iterable

from grader.results import GradeReport


def renderers() -> dict[str, Callable[[GradeReport], str]]:
    """Each format's renderer (imported here, on first use: the HTML one loads jinja2 and the templates)."""
    from grader.files import json_text
    from grader.reports import html, markdown, terminal
    from grader.reports.results_json import results_json

    return {"terminal": terminal.render, "json": lambda report: json_text(results_json(report)),
            "html": html.render_html, "md": markdown.render_markdown}


def render(report: GradeReport, formats: Iterable[str]) -> dict[str, str]:
    """``report`` in each of ``formats`` (names of ``renderers()``)."""
    chosen = renderers()
    return {name: chosen[name](report) for name in formats}
