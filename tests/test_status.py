"""One status vocabulary (grader.status): the README lists exactly it, a function's and a submission's statuses are
derived from their parts', and every surface shows only its words: the terminal, the HTML report (read back with
html.parser), the Markdown report (markdown-it), results.json and the notebook's display. The gradebook CSV and the
class summary are read back from a real batch in test_class_summary.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from conftest import ROOT
from grader.notebook import NotebookReport
from grader.reports import terminal
from grader.reports.html import render_html
from grader.reports.markdown import render_markdown
from grader.reports.results_json import results_json
from grader.reports.view import SYMBOLS
from grader.results import CheckResult, GradeReport
from grader.status import Status, combined, submission_status

WORDS = {str(status) for status in Status}
CHECK_WORDS = WORDS - {Status.DID_NOT_LOAD, Status.GRADER_ERROR}
OLD_WORDS = ("BLOCKED", "TIMEOUT", "N/A", "student error", "student_error", "grader_error")
P, F, T, C = Status.PASSED, Status.FAILED, Status.TIMED_OUT, Status.CRASHED
NG, NA, DNL, GE = Status.NOT_GRADED, Status.NOT_GRADABLE, Status.DID_NOT_LOAD, Status.GRADER_ERROR


def check(name: str, function: str, status: Status, stopped_in: str = "") -> CheckResult:
    """A check of ``function`` that ended in ``status`` (points only when it passed)."""
    points = 0 if status == NA else 1
    return CheckResult(name, f"{function} check {name}", (function,), points, points if status == P else 0, status,
                       message="" if status == P else f"why {name} is {status}", stopped_in=stopped_in)


def every_status() -> GradeReport:
    """A submission whose checks end in every check status, its functions in every function status."""
    results = [check("size", "conv_output_size", P), check("pad", "zero_pad", P), check("pad_dtype", "zero_pad", F),
               check("forward", "conv_forward", T, "conv_forward"), check("forward_dtype", "conv_forward", P),
               check("dx", "conv_backward", NG), check("db", "conv_backward", NG), check("gpu", "fit", NA),
               check("fit", "fit", P), check("device", "pick_device", C, "pick_device"),
               check("gpu_eval", "evaluate", NA)]
    return GradeReport("conv", "conv.py", "quick", 0, "reference", "process", results)


FUNCTIONS = {"conv_output_size": P, "zero_pad": F, "conv_forward": T, "conv_backward": NG, "fit": P,
             "pick_device": C, "evaluate": NA}


def test_the_readme_lists_exactly_the_vocabulary_with_each_meaning_once() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z ]+)` \| ([a-z, ]+) \| (.+) \|$", readme, re.MULTILINE)
    assert [(word, meaning) for word, _, meaning in rows] == [(str(s), s.meaning) for s in Status]
    assert {word for word, ends, _ in rows if ends == "submission"} == {DNL, GE}
    assert all("\n" not in status.meaning for status in Status) and len(WORDS) == len(Status) == 8


@pytest.mark.parametrize("parts, expected", [
    ((), NG), ((P, P), P), ((P, NA), P), ((NA, NA), NA), ((P, NG), NG), ((NG, P, F), F), ((F, T), T),
    ((F, C), C), ((C, T), T), ((P, NA, NG, F, C, T), T), ((P, DNL), DNL), ((DNL, GE, P), GE)])
def test_a_whole_takes_the_worst_status_of_its_parts(parts: tuple[Status, ...], expected: Status) -> None:
    assert combined(parts) == expected
    assert submission_status(True, parts) == expected and submission_status(False, parts) == DNL


def test_a_report_derives_each_functions_status_from_its_checks_and_its_own_from_its_functions() -> None:
    report = every_status()
    assert report.function_statuses == FUNCTIONS
    assert report.status == T and report.what_happened == "timed out in conv_forward"
    report.results = [r for r in report.results if r.status != T]
    assert report.status == C and report.what_happened == "crashed in pick_device"
    report.results = [r for r in report.results if r.status != C]
    assert report.status == F and report.what_happened == "failed"
    report.load_failure = "conv.py: SyntaxError: expected ':'"
    assert report.status == DNL and report.function_statuses["zero_pad"] == F
    budget = GradeReport("pool", "p.py", "quick", 0, "", "process", [check("a", "max_pool_forward", T)])
    assert budget.what_happened == "timed out after using up its time budget"


def test_a_status_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(ValueError):
        CheckResult("a", "A", ("f",), 1, 0, "BLOCKED")
    assert CheckResult("a", "A", ("f",), 1, 0, "not graded").status is NG


def test_gradescope_status_is_passed_or_failed_derived_from_ours() -> None:
    assert {s: s.gradescope for s in Status} == {s: "passed" if s in (P, NA) else "failed" for s in Status}


def test_the_terminal_shows_each_check_function_and_the_submission_in_the_vocabulary() -> None:
    report = every_status()
    text = terminal.render(report)
    shown = re.findall(r"^  ([A-Z][A-Z ]*[A-Z]) +\d+/\d+   (.+)$", text, re.MULTILINE)
    assert [(word.lower(), title) for word, title in shown] == [(r.status, r.title) for r in report.results]
    functions = re.search(r"^Functions: (.+)$", text, re.MULTILINE).group(1).split(", ")
    assert dict(item.split(" ", 1) for item in functions) == FUNCTIONS
    assert re.search(r"^conv: timed out in conv_forward, 4/9 points; 4 of 9 checks passed \(1 failed, 1 timed "
                     r"out, 1 crashed, 2 not graded, 2 not gradable here\)", text, re.MULTILINE)
    assert not any(old in text for old in OLD_WORDS)


class Badges(HTMLParser):
    """Each status badge of a page: (its CSS classes, its text)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self.open: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "span" and "badge" in classes.split():
            self.open = classes
            self.found.append((classes, ""))

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.found[-1] = (self.open, self.found[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self.open = None

    def words(self) -> list[str]:
        """Each badge's status word, checked to follow its symbol and to name its CSS class."""
        words = []
        for classes, text in self.found:
            symbol, word = text.split(" ", 1)
            assert word in WORDS and SYMBOLS[Status(word)] == symbol, text
            assert classes == f"badge {word.replace(' ', '-')}", classes
            words.append(word)
        return words


def expected_badges(report: GradeReport) -> list[str]:
    """The submission's badge, each function's, then each check's twice (the overview and its own section)."""
    return [report.status, *report.function_statuses.values(), *(r.status for r in report.results),
            *(r.status for r in report.results)]


@pytest.mark.parametrize("report", [every_status(), GradeReport(
    "pool", "p.py", "quick", 0, "", "process", [check("a", "max_pool_forward", F)], load_failure="SyntaxError")],
    ids=["every status", "did not load"])
def test_the_html_report_shows_only_statuses_of_the_vocabulary(report: GradeReport) -> None:
    page = render_html(report)
    assert sorted(Badges(page).words()) == sorted(expected_badges(report))
    assert not any(old in page for old in OLD_WORDS)


def markdown_statuses(source: str) -> tuple[str, list[str], list[str]]:
    """The Markdown report's statuses, each as '<symbol> <word>': the headline's (with its detail), the first cell of
    each row of its status tables, and each check heading's."""
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    tables: list[list[list[str]]] = []
    headings, paragraphs = [], []
    for token, following in zip(tokens, tokens[1:]):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type in ("th_open", "td_open"):
            tables[-1][-1].append(following.content)
        elif token.type == "heading_open" and token.tag == "h3":
            headings.append(following.content.split(" · ")[0])
        elif token.type == "paragraph_open":
            paragraphs.append(following.content)
    cells = [row[0] for table in tables if table[0][0] == "status" for row in table[1:]]
    return re.match(r"\*\*(.+?)\*\* · ", paragraphs[0]).group(1), cells, headings


def test_the_markdown_report_shows_only_statuses_of_the_vocabulary() -> None:
    report = every_status()
    source = render_markdown(report)
    headline, cells, headings = markdown_statuses(source)
    assert headline == f"{SYMBOLS[report.status]} {report.what_happened}"
    shown = [text.split(" ", 1) for text in cells + headings]
    assert all(word in WORDS and SYMBOLS[Status(word)] == symbol for symbol, word in shown), shown
    in_sections = sorted((r.status for r in report.results), key=lambda s: (s == P) + 2 * (s == NA))
    assert [word for _, word in shown] == [*report.function_statuses.values(), *(r.status for r in report.results),
                                          *in_sections]
    assert not any(old in source for old in OLD_WORDS)


def test_results_json_carries_our_statuses_and_gradescopes_derived_from_them() -> None:
    report = every_status()
    results = results_json(report)
    assert [t["extra_data"]["status"] for t in results["tests"]] == [r.status for r in report.results]
    assert {t["extra_data"]["status"] for t in results["tests"]} <= CHECK_WORDS
    assert [t["status"] for t in results["tests"]] == [Status(t["extra_data"]["status"]).gradescope
                                                        for t in results["tests"]]
    extra = results["extra_data"]
    assert (extra["status"], extra["detail"], extra["functions"]) == ("timed out", "in conv_forward", FUNCTIONS)
    assert all(type(word) is str for word in [extra["status"], *extra["functions"].values()])


def test_the_notebook_shows_each_check_function_and_the_submission_in_the_vocabulary() -> None:
    report = NotebookReport(**vars(every_status()))
    text = repr(report)
    lines = text.splitlines()
    assert lines[0].startswith("conv: timed out in conv_forward, 4/9 points")
    assert dict(item.split(" ", 1) for item in lines[1].removeprefix("Functions: ").split(", ")) == FUNCTIONS
    shown = re.findall(r"^  ([A-Z][A-Z ]*[A-Z]) +(\S.*)$", text, re.MULTILINE)
    assert [(word.lower(), title) for word, title in shown] == [(r.status, r.title) for r in report.results]
    assert sorted(Badges(report._repr_html_()).words()) == sorted(expected_badges(report))
