"""grader.check's report inside a real notebook: executed by a Jupyter kernel (nbclient), exported to HTML
(nbconvert's JupyterLab template) and measured in headless Chromium next to the same notebook without the report.
The page around the report must not change: its styles apply inside its own container only. While the checks run,
a line under the cell, updated in place, says which check runs and how many are done."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conftest import SUBMISSIONS, require

pytestmark = pytest.mark.slow
# Written into the page by the browser: how the notebook's own elements look (their computed styles and sizes).
MEASURE = """
<script>
window.addEventListener("load", () => {
  const seen = [];
  const pick = (element) => { const style = getComputedStyle(element), box = element.getBoundingClientRect();
    return [element.className, style.fontSize, style.fontFamily, style.boxSizing, style.color, style.padding,
            Math.round(box.width), Math.round(box.left)]; };
  for (const selector of ["body", "main", ".jp-InputPrompt", ".jp-OutputPrompt", ".jp-InputArea-editor",
                          ".jp-MarkdownOutput h1", ".jp-MarkdownOutput table td"])
    document.querySelectorAll(selector).forEach((element) => {
      const progress = element.closest(".jp-OutputArea-child")?.querySelector(".grader-progress");
      if (!element.closest(".grader-report") && !progress) seen.push([selector, ...pick(element)]); });
  const report = document.querySelector(".grader-report");
  const overview = report ? [...report.querySelectorAll(".overview tr")].map((row) =>
    [...row.children].map((cell) => [Math.round(cell.getBoundingClientRect().top),
                                     getComputedStyle(cell).textAlign])) : [];
  const pre = document.createElement("pre"); pre.id = "measured";
  pre.textContent = JSON.stringify({seen, overview}); document.body.appendChild(pre);
});
</script>
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    require(found is not None, "headless Chromium is not installed (apt-get install -y chromium)")
    return found


def notebook(with_report: bool) -> nbformat.NotebookNode:
    """A student's notebook: a heading and a table, their conv code, a worked example that prints, then the
    check cell (or a cell whose result is a string in the report's place)."""
    code = (SUBMISSIONS / "conv" / "correct_loops.py").read_text()
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Convolution\n\n| n | f | out |\n| --- | --- | --- |\n| 7 | 3 | 5 |"),
        nbformat.v4.new_code_cell(code),
        nbformat.v4.new_code_cell("print('worked example:', conv_output_size(7, 3))"),
        nbformat.v4.new_code_cell('import grader\ngrader.check("conv_forward")' if with_report else
                                  'import grader\n"the report"'),
        nbformat.v4.new_code_cell("1 + 1"),
    ])


def exported(tmp_path: Path, with_report: bool) -> tuple[Path, list[dict]]:
    """The notebook executed by a real kernel and exported to HTML, with the measuring script added; and every
    update of a display the kernel sent while it ran (the live line's)."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    class Recording(NotebookClient):
        def process_message(self, msg: dict, cell: nbformat.NotebookNode, cell_index: int) -> Any:
            if msg.get("msg_type") == "update_display_data":
                updates.append(msg["content"]["data"])
            return super().process_message(msg, cell, cell_index)

    book, updates = notebook(with_report), []
    Recording(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(book)
    page = tmp_path / f"{'with' if with_report else 'without'}_report.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"))
    return page, updates


def measured(browser: str, page: Path, screenshot: Path) -> dict:
    """What the browser measured on the page, and a screenshot of it (to look at)."""
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--window-size=1200,2400",
              "--virtual-time-budget=5000"]
    subprocess.run([*common, f"--screenshot={screenshot}", page.as_uri()], capture_output=True, timeout=120)
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                      .replace("&gt;", ">"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path, list[dict]]:
    pytest.importorskip("nbclient", reason="running notebooks needs the notebook extra: pip install '.[notebook]'")
    browser, folder = chromium(), tmp_path_factory.mktemp("notebook")
    (with_report, updates), (without, _) = exported(folder, True), exported(folder, False)
    return (measured(browser, with_report, folder / "with_report.png"),
            measured(browser, without, folder / "without_report.png"), with_report, updates)


def test_the_report_changes_nothing_on_the_page_around_it(pages: tuple[dict, dict, Path, list[dict]]) -> None:
    with_report, without, _, _ = pages
    assert len(without["seen"]) > 8  # the prompts, the editors, the heading, the table's cells, the page
    assert with_report["seen"] == without["seen"]


def test_the_points_sit_beside_the_badges_in_the_report_rows(pages: tuple[dict, dict, Path, list[dict]]) -> None:
    rows = pages[0]["overview"]
    assert len(rows) == 4 and all(len({top for top, _ in cells}) == 1 for cells in rows)  # one line each
    assert [[align for _, align in cells] for cells in rows] == [["left", "right", "left"]] * 4


def test_the_worked_examples_output_is_shown_apart_from_the_checks(pages: tuple[dict, dict, Path, list[dict]]) -> None:
    html = pages[2].read_text()
    report = html[html.index('<div class="grader-report">'):]
    assert "worked example: 5" in html[:html.index('<div class="grader-report">')]  # the cell's own output
    assert report.count("What your code printed") <= 1 and "check-" in report


def test_a_line_under_the_cell_follows_the_checks_and_ends_saying_how_long_they_took(
        pages: tuple[dict, dict, Path, list[dict]]) -> None:
    lines = [update["text/plain"] for update in pages[3]]
    assert lines[0] == "conv: 0/4 checks done [0 s] loading your code"
    assert "conv: 0/4 checks done [0 s] running: conv_forward reproduces the lecture's worked examples" in lines
    assert any(line.startswith("conv: 1/4 checks done [0 s] running (with 2 more on the same inputs): conv_forward")
               for line in lines)
    assert re.fullmatch(r"conv: 4 checks run in \d+\.\d s", lines[-1])
    assert all('<div class="grader-progress"' in update["text/html"] for update in pages[3])
    html = pages[2].read_text()
    assert html.index(lines[-1]) < html.index('<div class="grader-report">')  # in its own output, above the report
