"""The instructor's view of a batch: the four-submission class of issue 15 (one correct, one buggy, one that does
not load, one whose conv_forward never returns). The gradebook and summary.html say what happened to each, the
summary lists every student with a link to their report, and a real browser (headless Chromium) follows one.
(dee's conv_forward sleeps rather than spins: it waits out the same 10 s limit without using a core meanwhile; a busy
hang in a batch is test_batch_faults.py's.)"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import compose, require
from grader.status import Status

pytestmark = pytest.mark.slow
WORDS = {str(status) for status in Status}
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", "--dump-dom"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    submissions = folder / "submissions"
    for student, parts in {"amy": ["correct_loops.py"], "ben": ["correct_loops.py", "mistakes/missing_bias.py"],
                           "cal": ["broken/syntax_error.py"],
                           "dee": ["correct_loops.py", "faults/sleeps.py"]}.items():
        (submissions / student).mkdir(parents=True)
        compose(submissions / student, "conv", *parts)
    out = folder / "out"
    batch = subprocess.run([sys.executable, "-m", "grader.cli", "batch", "conv", str(submissions), "--out", str(out),
                            "--profile", "quick", "--jobs", "2", "--similarity"], capture_output=True, text=True,
                           timeout=900)
    assert batch.returncode == 0, batch.stderr
    return out


def rows(out: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader((out / "gradebook.csv").read_text().splitlines())}


def browse(url: str) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    require(browser is not None, "headless Chromium is not installed (apt-get install -y chromium)")
    return subprocess.run([browser, *BROWSER_FLAGS, url], capture_output=True, text=True, timeout=120).stdout


def test_the_gradebook_says_what_happened_to_each_student(graded: Path) -> None:
    book = rows(graded)
    assert {student: row["what happened"] for student, row in book.items()} == {
        "amy": "passed", "ben": "failed", "cal": "did not load", "dee": "timed out in conv_forward"}
    assert book["amy"]["report"] == "amy/report.html" and (graded / "amy" / "report.html").is_file()
    assert book["amy"]["total"] == book["amy"]["max"] and book["cal"]["total"] == "0"


def test_the_summary_counts_every_status_and_lists_every_student(graded: Path) -> None:
    page = (graded / "summary.html").read_text()
    headline = re.sub(r"<[^>]*>", "", re.search(r'<p class="headline">(.*?)</p>', page, re.DOTALL).group(1))
    assert " ".join(headline.split()) == "4 submissions: 1 passed, 1 failed, 1 timed out, 1 did not load."
    assert all(f'<a href="{student}/report.html">{student}</a>' in page for student in ("amy", "ben", "cal", "dee"))
    problems = page[page.index("<h2>Problems</h2>"):]
    assert '<td>cal</td><td class="status">did not load</td>' in problems
    assert '<td>dee</td><td class="status">timed out in conv_forward</td>' in problems
    assert "<td>amy</td>" not in problems and "No known mistake" not in page


def test_batch_similarity_compares_the_class_beside_the_gradebook(graded: Path) -> None:
    page = (graded / "similarity.html").read_text()
    assert re.search(r"4 submissions compared: 6\s+pairs", page)


def test_diagnoses_are_counted_per_student(graded: Path) -> None:
    page = (graded / "summary.html").read_text()
    diagnoses = page[page.index("Most common diagnoses"):page.index("Slowest submissions")]
    counts = [int(count) for count in re.findall(r'<td class="num">(\d+)</td>', diagnoses)]
    assert counts == [1]  # ben's missing bias fails two checks, but he is one student


def test_the_report_of_a_submission_that_hung_names_the_function_and_shows_no_input_for_checks_never_run(
        graded: Path) -> None:
    report = (graded / "dee" / "report.md").read_text()
    assert "conv_forward timed out after" in report
    assert "not run: in an earlier check, conv_forward timed out after" in report
    never_run = [section for section in report.split("\n### ") if "not run: in an earlier check" in section]
    assert never_run and not any("The input it was running" in section for section in never_run)


def test_a_browser_opens_the_summary_sorts_it_and_follows_a_students_link(graded: Path, tmp_path: Path) -> None:
    sorting = (graded / "summary.html").read_text().replace("</body>", """<script>
window.addEventListener("load", () => {
  document.querySelectorAll("#students th")[1].click();  // score, ascending
  const order = [...document.querySelectorAll("#students tbody tr")].map((row) => row.cells[0].textContent);
  const links = [...document.querySelectorAll("#students a")].map((link) => link.href);
  const pre = document.createElement("pre"); pre.id = "seen"; pre.textContent = JSON.stringify({order, links});
  document.body.appendChild(pre);
});
</script></body>""")
    probe = graded / "summary-probe.html"
    probe.write_text(sorting)
    seen = re.search(r'<pre id="seen">(.*?)</pre>', browse(probe.as_uri()), re.DOTALL)
    assert seen, "the page's script did not run"
    found = json.loads(seen.group(1).replace("&quot;", '"'))
    assert found["order"][0] == "cal" and found["order"][-1] == "amy"  # 0 points first, full marks last
    followed = browse(next(link for link in found["links"] if link.endswith("/dee/report.html")))
    assert "Feedback for <code>conv</code>" in followed and "conv_forward timed out after" in followed


def test_an_empty_submissions_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("")
    ran = subprocess.run([sys.executable, "-m", "grader.cli", "batch", "conv", str(tmp_path / "empty"), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 2 and "holds no submissions" in ran.stderr and not (tmp_path / "out").exists()


def test_every_status_in_the_gradebook_is_a_word_of_the_vocabulary(graded: Path) -> None:
    book = rows(graded)
    assert {student: row["status"] for student, row in book.items()} == {
        "amy": "passed", "ben": "failed", "cal": "did not load", "dee": "timed out"}
    assert all(row["status"] in WORDS and row["what happened"].startswith(row["status"]) for row in book.values())


class StatusCells(HTMLParser):
    """The text of every element of class "status" in a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.depth = 0
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += bool(self.depth)
        if not self.depth and "status" in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


def test_every_status_in_the_class_summary_is_a_word_of_the_vocabulary(graded: Path) -> None:
    shown = StatusCells((graded / "summary.html").read_text()).texts
    headline, students = shown[:4], shown[4:8]
    assert headline == ["passed", "failed", "timed out", "did not load"]
    assert students == ["passed", "failed", "did not load", "timed out in conv_forward"]
    assert all(any(text == word or text.startswith(word + " ") for word in WORDS) for text in shown), shown
