"""Repairs in every report, at every hint level: the terminal, HTML (read back with ``html.parser``), Markdown
(markdown-it-py), results.json, the instructor's view, and the class summary's count by rewrite. Built by hand
from a report and a repair, so no grading runs here."""

from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from grader.batch.job import INSTRUCTOR_NAME, write_feedback
from grader.batch.records import Record
from grader.batch.summary import summary_view, write_summary
from grader.gradescope import run_script
from grader.repair.found import Change, Repair
from grader.reports import terminal
from grader.reports.html import render_html
from grader.reports.markdown import render_markdown
from grader.reports.results_json import results_json
from grader.results import FAILED, PASSED, CheckResult, GradeReport

DIFF = ("--- dave.py\n+++ dave.py (repaired)\n@@ -110,2 +110,2 @@\n"
        "-    dx[i] += dout[i]\n+    dx[i] += dout[i] / (ph * pw)\n     return dx")
REPAIR = Repair("avg_pool_backward", (Change("average not divided", "dave.py, line 111",
                                             "an average divides by the window size (ph * pw)"),), DIFF, 6, 2.5, 123)
LINE_HINT = "dave.py, line 111: an average divides by the window size (ph * pw)"


def report(hints: str) -> GradeReport:
    results = [CheckResult("avg_backward_values", "avg_pool_backward spreads each gradient evenly",
                           ("avg_pool_backward",), 2, 0, FAILED, "avg_pool_backward's dx differs"),
               CheckResult("avg_forward_values", "avg_pool_forward averages", ("avg_pool_forward",), 2, 2, PASSED),
               CheckResult("max_backward_values", "max_pool_backward sends", ("max_pool_backward",), 2, 0, FAILED,
                           "max_pool_backward's dx differs")]
    return GradeReport("pool", "dave.py", "quick", 0, "reference", "strict", results, hints=hints,
                       repairs=[REPAIR] if hints != "off" else [])


class Text(HTMLParser):
    """The text of an HTML document, and the text inside each element of a class."""

    def __init__(self, of_class: str) -> None:
        super().__init__()
        self.of_class, self.depth, self.inside, self.all = of_class, 0, [], []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.depth or self.of_class in (dict(attrs).get("class") or "").split():
            self.depth += 1
            if self.depth == 1:
                self.inside.append("")

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        self.all.append(data)
        if self.depth:
            self.inside[-1] += data


def hints_in_html(page: str) -> list[str]:
    parsed = Text("hint")
    parsed.feed(page)
    return parsed.inside


@pytest.mark.parametrize("level", ["line", "diff", "full"])
def test_the_terminal_shows_the_hint_under_the_failed_check_only(level: str) -> None:
    text = terminal.render(report(level))
    assert text.count("Hint:") == 1 and LINE_HINT in text
    assert ("+    dx[i] += dout[i] / (ph * pw)" in text) == (level != "line")
    assert ("Rewrites: average not divided" in text) == (level == "full")
    failed, passed = text.index("avg_pool_backward spreads"), text.index("avg_pool_forward averages")
    assert failed < text.index("Hint:") < passed


def test_hints_off_show_nothing() -> None:
    text, page = terminal.render(report("off")), render_html(report("off"))
    assert "Hint" not in text and hints_in_html(page) == [] and "Hint" not in render_markdown(report("off"))


@pytest.mark.parametrize("level", ["line", "diff"])
def test_the_html_report_shows_the_students_level(level: str) -> None:
    [hint] = hints_in_html(render_html(report(level)))
    assert LINE_HINT in hint and ("dout[i] / (ph * pw)" in hint) == (level == "diff") and "Rewrites" not in hint


def test_the_instructors_view_shows_every_repair_in_full_whatever_the_students_see() -> None:
    page = render_html(report("line"), instructor=True)
    [hint] = hints_in_html(page)
    assert "dout[i] / (ph * pw)" in hint and "Rewrites: average not divided; found after 6 candidates" in hint
    assert "Instructor's view" in page and "Instructor's view" not in render_html(report("line"))


@pytest.mark.parametrize("level", ["line", "diff"])
def test_the_markdown_report_quotes_the_hint_and_fences_the_diff(level: str) -> None:
    source = render_markdown(report(level))
    quotes = Text("x")
    quotes.feed(MarkdownIt("commonmark").render(source))
    fences = [t for t in MarkdownIt("commonmark").parse(source) if t.type == "fence" and t.info == "diff"]
    assert LINE_HINT in " ".join(quotes.all)
    assert [f.content.rstrip("\n") for f in fences] == ([DIFF] if level == "diff" else [])


@pytest.mark.parametrize("level", ["line", "diff"])
def test_results_json_carries_the_full_repair_and_the_students_hint(level: str) -> None:
    results = results_json(report(level))
    assert results["extra_data"]["hints"] == level
    assert results["extra_data"]["repairs"] == [REPAIR.as_json()]
    [hinted] = [t for t in results["tests"] if "Hint" in t["output"]]
    assert hinted["tags"] == ["avg_pool_backward"] and ("```diff" in hinted["output"]) == (level == "diff")
    assert json.loads(json.dumps(results)) == results


def test_a_batch_writes_the_instructors_view_and_counts_repairs_by_rewrite(tmp_path: Path) -> None:
    other = Repair("max_pool_backward", (Change("= instead of +=", "erin.py, line 3", "add with +="),
                                         Change("square kernel", "erin.py, line 4", "ph is used")), DIFF, 9, 4.0, 1)
    students = {"amy": [REPAIR, other], "bob": [REPAIR], "cal": []}
    for student, repairs in students.items():
        write_feedback(tmp_path / student, replace(report("line"), repairs=repairs))
    records = [Record(student, "key", FAILED, 2, 6) for student in students]
    assert [(tmp_path / s / INSTRUCTOR_NAME).is_file() for s in students] == [True, True, False]
    counts = {c.rule: (c.functions, [name for name, _ in c.students]) for c in summary_view(tmp_path, "pool",
                                                                                               records)["repairs"]}
    assert counts == {"average not divided": (2, ["amy", "bob"]), "= instead of +=": (1, ["amy"]),
                      "square kernel": (1, ["amy"])}
    write_summary(tmp_path, "pool", records)
    page = Text("x")
    page.feed((tmp_path / "summary.html").read_text())
    text = " ".join(page.all)
    assert "Repaired functions, by rewrite" in text and "average not divided" in text


def test_gradescope_grades_with_the_courses_hint_level() -> None:
    assert b'gradescope pool --root "$ROOT" --hints diff\n' in run_script("pool", "diff")
    assert b"--hints" not in run_script("pool")


def test_the_hint_level_comes_from_the_flag_else_the_course_else_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli import build_parser, settings_of

    parser = build_parser()
    monkeypatch.setenv("GRADER_HINTS", "diff")
    assert settings_of(parser.parse_args(["check", "pool", "x.py"]), parser).hints == "diff"
    chosen = settings_of(parser.parse_args(["check", "pool", "x.py", "--hints", "off", "--repair-budget", "5"]), parser)
    assert (chosen.hints, chosen.repair_seconds) == ("off", 5)
    monkeypatch.delenv("GRADER_HINTS")
    assert settings_of(parser.parse_args(["batch", "pool", "s", "--out", "o"]), parser).hints == "line"
