"""The HTML and Markdown feedback reports, rendered from results built by hand (no grading, so fast).

The HTML is read back with a real parser (``html.parser``) and the Markdown with markdown-it-py, so the
assertions are about the documents' structure, not about substrings that happen to appear.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from grader.reports import plots
from grader.reports.html import render_html, report_view
from grader.reports.markdown import escape_inline, render_markdown
from grader.reports.view import summary
from grader.evidence import (ArrayMismatch, GradientError, GradientErrors, Layer, LayerTables, StudentTraceback,
                             TrainingRun, ValueMismatch)
from grader.results import CRASHED, FAILED, NOT_GRADABLE, PASSED, TIMED_OUT, CheckResult, GradeReport

ATTACK = "<script>alert(1)</script>"
NOISY_OUTPUT = f"debug {ATTACK}\n```\nnot a fence end ```` | a | b |\n<img src=x onerror=alert(2)>\n"
SVG_URI = "data:image/svg+xml;base64,"


def grid(n: int, c: int, h: int, w: int, start: float = 0.0) -> list:
    """A nested list of shape (n, c, h, w) holding start, start + 1, ..."""
    return [[[[start + ((i * c + j) * h + r) * w + k for k in range(w)] for r in range(h)] for j in range(c)]
            for i in range(n)]


def failing_check() -> CheckResult:
    """conv_backward's dx wrong in two entries of a (1, 2, 4, 5) array, with everything a failure can carry."""
    expected = grid(1, 2, 4, 5)
    actual = grid(1, 2, 4, 5)
    differs = [[[[False] * 5 for _ in range(4)] for _ in range(2)]]
    for (n, c, r, k), wrong in {(0, 0, 1, 2): 99.0, (0, 1, 3, 4): -7.5}.items():
        actual[n][c][r][k], differs[n][c][r][k] = wrong, True
    return CheckResult(
        "dx_matches", "conv_backward returns dx equal to PyTorch autograd's", ("conv_backward",), 2, 0, FAILED,
        message=f"conv_backward's dx differs {ATTACK}",
        counterexample={"description": "x (1, 2, 4, 5) float64, stride=2",
                        "arrays": {"x": grid(1, 2, 4, 5), "b": [0.5]},
                        "shapes": {"x": [1, 2, 4, 5], "b": [1], "w": [3, 2, 9, 9]}},
        evidence=[ArrayMismatch(2, 92.0, 13.142857, (0, 0, 1, 2), actual, expected, differs),
                  GradientErrors((GradientError("dx", 92.0, 91.99999),
                                  GradientError("dw", "wrong shape or type", "n/a"))),
                  StudentTraceback(f'  File "conv.py", line 3, in conv_backward\n    raise ValueError("{ATTACK}")\n')],
        output=NOISY_OUTPUT, examples_run=31, diagnosis="your dx equals the gradient with the stride ignored")


def layers_check() -> CheckResult:
    """A LeNet-5 layer comparison where the student's layer name tries to break out of a table."""
    yours = (Layer(f"Conv2d{ATTACK}", (6, 28, 28), 156), Layer("Tanh | x", (6, 28, 28), 0))
    expected = (Layer("Conv2d", (6, 28, 28), 156), Layer("ReLU", (6, 28, 28), 0), Layer("MaxPool2d", (6, 14, 14), 0))
    return CheckResult("layers", "LeNet5 has LeNet-5's layers", ("LeNet5",), 2, 0, FAILED,
                       message="your network has 2 layers; LeNet-5 has 3",
                       evidence=[LayerTables(yours, expected)])


def training_run(losses: list) -> TrainingRun:
    """A training run the grader measured at 98.5 %, with the losses fit reported."""
    return TrainingRun(0.985, 0.98, len(losses), tuple(losses), "cpu", 41.0, "MNIST", "MNIST")


def train_check() -> CheckResult:
    """A passing training run: the grader's notes and fit's losses, which the report plots."""
    return CheckResult("reaches_accuracy", "The model fit trains reaches the accuracy bar", ("fit",), 4, 4, PASSED,
                       evidence=[training_run([0.62, 0.21, 0.12])],
                       notes=["test accuracy 98.50% (bar 98.0%) after 3 epochs on cpu in 41.0 s"], examples_run=1)


def full_report() -> GradeReport:
    """A report with every status: passed, failed (with all evidence), crashed, timed out, not gradable."""
    results = [
        CheckResult("output_size", "conv_output_size rounds down", ("conv_output_size",), 1, 1, PASSED,
                    examples_run=28),
        failing_check(),
        CheckResult("forward_crash", "conv_forward computes the cross-correlation", ("conv_forward",), 3, 0, CRASHED,
                    message="conv_forward crashed the interpreter (signal SIGSEGV)",
                    counterexample={"description": "x (1, 1, 3, 3) float64", "arrays": {}, "shapes": {}},
                    evidence=[StudentTraceback("Fatal Python error: Segmentation fault")]),
        CheckResult("zero_pad_time", "zero_pad keeps the dtype", ("zero_pad",), 1, 0, TIMED_OUT,
                    message="zero_pad did not return within 10 s"),
        CheckResult("trains_on_gpu", "On a CUDA machine, fit trains on the GPU", ("fit",), 0, 0, NOT_GRADABLE,
                    message="no CUDA device on this machine"),
        layers_check(),
        train_check(),
    ]
    return GradeReport("conv", f"submissions/{ATTACK}/conv.py", "quick", 0, "reference",
                       "process+landlock (ABI 7)", results, load_messages=[f"cell 3 raised NameError {ATTACK}"],
                       seconds=4.2)


@dataclass
class Element:
    """A start tag as the parser saw it, and the text inside it (for table cells)."""

    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Collector(HTMLParser):
    """Collects every start tag with its attributes, the visible text, and each table cell's text."""

    elements: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    open_cells: list[Element] = field(default_factory=list)
    in_style: bool = False

    def __post_init__(self) -> None:
        """Start the parser, character references turned into text."""
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the tag; open a cell for td and th."""
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        self.in_style = tag == "style"
        if tag in ("td", "th"):
            self.open_cells.append(element)

    def handle_endtag(self, tag: str) -> None:
        """Close a cell (tables here nest no elements that need tracking)."""
        self.in_style = False
        if tag in ("td", "th") and self.open_cells:
            self.open_cells.pop()

    def handle_data(self, data: str) -> None:
        """Keep visible text (not the stylesheet), and add it to the open cell."""
        if self.in_style:
            return
        self.texts.append(data)
        if self.open_cells:
            self.open_cells[-1].text += data

    @property
    def text(self) -> str:
        """All visible text, white space collapsed."""
        return " ".join("".join(self.texts).split())

    def find(self, tag: str) -> list[Element]:
        """Every element with this tag."""
        return [e for e in self.elements if e.tag == tag]


def parse_html(document: str) -> Collector:
    """The document read by a real HTML parser."""
    collector = Collector()
    collector.feed(document)
    collector.close()
    return collector


def tables_after(collector: Collector, kind: str) -> list[list[Element]]:
    """The cells of each ``<table class="array {kind}">``, in document order."""
    tables, current = [], None
    for element in collector.elements:
        if element.tag == "table":
            current = [] if kind in element.attrs.get("class", "").split() else None
            if current is not None:
                tables.append(current)
        elif element.tag == "td" and current is not None:
            current.append(element)
    return tables


@pytest.fixture(scope="module")
def html() -> Collector:
    """The full report as HTML, parsed."""
    return parse_html(render_html(full_report()))


@pytest.fixture(scope="module")
def markdown_source() -> str:
    """The full report as Markdown source."""
    return render_markdown(full_report())


def markdown_parser() -> MarkdownIt:
    """CommonMark with GitHub tables; SVG data URIs allowed as image sources (markdown-it refuses them by
    default, as GitHub does, so the report says in text what each picture shows)."""
    parser = MarkdownIt("commonmark").enable("table")
    parser.validateLink = lambda url: url.startswith(SVG_URI) or not url.lower().startswith(("javascript:", "data:"))
    return parser


def test_html_shows_the_grade_and_how_it_was_graded(html: Collector) -> None:
    text, report = html.text, full_report()
    assert f"{report.score:g}/{report.max_score:g} points" in text
    for fact in ("quick, seed 0", "reference", "process+landlock (ABI 7)", "thorough profile"):
        assert fact in text
    assert f"cell 3 raised NameError {ATTACK}" in text


def test_html_lists_every_check_with_its_status(html: Collector) -> None:
    text = html.text
    for result in full_report().results:
        assert text.count(result.title) >= 2, result.title  # in the overview and in its own section
    badges = {e.attrs["class"] for e in html.find("span") if "badge" in e.attrs.get("class", "")}
    assert badges == {"badge passed", "badge failed", "badge crashed", "badge timed-out", "badge not-gradable-here"}
    for label in ("passed", "failed", "crashed", "timed out", "not gradable here"):
        assert label in text


def test_not_gradable_says_it_neither_adds_nor_removes_points(html: Collector, markdown_source: str) -> None:
    assert "no CUDA device on this machine. This check neither adds nor removes points." in html.text
    assert "This check neither adds nor removes points." in markdown_source


def test_failure_shows_diagnosis_errors_traceback_and_output(html: Collector) -> None:
    text = html.text
    causes = [e for e in html.find("div") if e.attrs.get("class") == "cause"]
    assert len(causes) == 1 and "Likely cause your dx equals the gradient with the stride ignored" in text
    cells = [e.text for e in html.elements if e.tag in ("th", "td")]
    for label, value in [("Largest absolute error", "92 at index (0, 0, 1, 2)"), ("Entries that differ", "2 of 40"),
                         ("Largest relative error", "13.14 at index (0, 0, 1, 2)")]:
        assert cells[cells.index(label) + 1] == value
    assert "w: shape (3, 2, 9, 9), too large to show here." in text
    assert cells[cells.index("dx"):cells.index("dx") + 6] == ["dx", "92", "92", "dw", "wrong shape or type", "n/a"]
    pres = {e.attrs.get("class") for e in html.find("pre")}
    assert {"traceback", "output"} <= pres


def test_differing_cells_carry_the_highlight_class(html: Collector) -> None:
    actual = tables_after(html, "actual")
    assert len(actual) == 2  # the two [n, c] slices of dx
    marked = [(cell.text, cell.attrs["class"]) for table in actual for cell in table if "class" in cell.attrs]
    assert marked == [("99", "differs worst"), ("-7.5", "differs")]
    expected = [(c.text, c.attrs["class"]) for table in tables_after(html, "expected") for c in table if c.attrs]
    assert expected == [("7", "worst")]


def test_counterexample_arrays_are_tables_with_captions(html: Collector) -> None:
    captions = html.text
    assert "x[0, 0, :, :]" in captions and "x[0, 1, :, :]" in captions
    assert "expected[0, 1, :, :]" in captions and "yours[0, 1, :, :]" in captions


def test_layer_tables_side_by_side(html: Collector) -> None:
    rows = [e for e in html.find("tr") if e.attrs.get("class") == "differs"]
    assert len(rows) == 3  # every row: a renamed Conv2d, Tanh for ReLU, and the missing MaxPool2d
    cells = [e.text for e in html.find("td")]
    assert f"Conv2d{ATTACK}" in cells and "Tanh | x" in cells and "(6, 14, 14)" in cells


def test_student_text_cannot_become_markup(html: Collector) -> None:
    assert not html.find("script") and not html.find("img")
    assert not [(e.tag, name) for e in html.elements for name in e.attrs if name.startswith("on")]
    text = "".join(html.texts)
    for where in (f"differs {ATTACK}", f'raise ValueError("{ATTACK}")', f"debug {ATTACK}", f"Conv2d{ATTACK}",
                  f"submissions/{ATTACK}/conv.py", "<img src=x onerror=alert(2)>"):
        assert where in text, where


def test_html_is_self_contained(html: Collector) -> None:
    document = render_html(full_report())
    assert "<link" not in document and "@import" not in document and "url(" not in document
    for element in html.elements:
        for name in ("src", "href"):
            value = element.attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), (element.tag, name, value)
    assert len(html.find("style")) == 1


def test_plots_are_embedded_svg(html: Collector) -> None:
    svgs = html.find("svg")
    labels = [svg.attrs["aria-label"] for svg in svgs]
    assert "mean training loss per epoch" in labels
    assert sum(label.startswith("heat map") for label in labels) == 2  # both slices have 20 > 16 entries
    assert "test accuracy 98.50% (bar 98.0%)" in html.text
    assert "0.62, 0.21, 0.12" in html.text


def test_every_svg_is_well_formed_xml() -> None:
    for svg in (plots.loss_curve([0.5]), plots.loss_curve([2.0, 1.0, 0.25, 0.25]),
                plots.heat_map([[1.0] * 5] * 4, [[1.0, float("nan"), 3.0, 1.0, 1.0]] * 4, 2.0, "[0, 0, :, :]")):
        root = ElementTree.fromstring(str(svg))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "#000000" in plots.heat_map([[0.0] * 5] * 4, [[float("nan")] * 5] * 4, 1.0, "")


@pytest.mark.parametrize(("low", "high"), [(0.05, 0.62), (1.0, 1.0), (-3.0, 250.0), (0.0, 1e-9)])
def test_axis_range_encloses_the_data_with_round_ticks(low: float, high: float) -> None:
    bottom, top, ticks = plots.axis_range(low, high)
    assert bottom <= low <= high <= top and bottom < top
    assert 2 <= len(ticks) <= 12 and ticks == sorted(ticks)


def results_with(*statuses: str) -> GradeReport:
    """A report whose checks have the given statuses (failed ones score 0)."""
    results = [CheckResult(f"c{i}", f"check {i}", ("f",), 1 if s != NOT_GRADABLE else 0, 1 if s == PASSED else 0, s,
                           message="why") for i, s in enumerate(statuses)]
    return GradeReport("conv", "conv.py", "thorough", 1, "pytorch", "process", results)


ALL_PASSED = re.compile(r"\ball\b[\w ]{0,40}\bpassed", re.IGNORECASE)


@pytest.mark.parametrize("statuses", [(PASSED, FAILED), (PASSED, NOT_GRADABLE), (PASSED, TIMED_OUT, CRASHED),
                                      (NOT_GRADABLE,), (FAILED,), ()])
def test_wording_never_claims_all_passed_unless_all_did(statuses: tuple[str, ...]) -> None:
    report = results_with(*statuses)
    for document in (parse_html(render_html(report)).text, render_markdown(report)):
        assert not ALL_PASSED.search(document), document[:400]
    graded = [s for s in statuses if s != NOT_GRADABLE]
    assert report_view(report).verdict.startswith(f"{graded.count(PASSED)} of {len(graded)} checks passed")


def test_wording_when_every_check_passed() -> None:
    report = results_with(PASSED, PASSED, PASSED)
    assert report_view(report).verdict == "All 3 checks passed."
    assert "Thorough profile: the one the official grade uses." in parse_html(render_html(report)).text


def test_many_slices_show_the_differing_ones_first_then_a_count() -> None:
    expected = grid(3, 4, 2, 2)
    actual = grid(3, 4, 2, 2)
    differs = [[[[False, False], [False, False]] for _ in range(4)] for _ in range(3)]
    actual[2][3][1][1], differs[2][3][1][1] = -1.0, True
    result = CheckResult("x", "pool", ("max_pool_forward",), 1, 0, FAILED, message="m",
                         evidence=[ArrayMismatch(1, 13.0, 1.0, (2, 3, 1, 1), actual, expected, differs)])
    html = parse_html(render_html(GradeReport("pool", "p.py", "quick", 0, "", "process", [result])))
    assert "… and 4 more slices not shown." in html.text
    assert "yours[2, 3, :, :]" in html.text


@pytest.mark.parametrize(("losses", "shown"), [([0.7], "0.7"), ([0.5, "tensor(0.4, grad_fn=<AddBackward0>)"],
                                                                "0.5, tensor(0.4, grad_fn=<AddBackward0>)")])
def test_losses_plot_only_when_all_are_numbers(losses: list, shown: str) -> None:
    result = CheckResult("fit", "fit trains", ("fit",), 1, 1, PASSED, evidence=[training_run(losses)], examples_run=1)
    html = parse_html(render_html(GradeReport("train", "t.py", "quick", 0, "", "process", [result])))
    assert len(html.find("svg")) == (1 if len(losses) == 1 else 0)
    assert shown in html.text


def test_plain_values_show_inline() -> None:
    result = CheckResult("x", "conv_output_size", ("conv_output_size",), 1, 0, FAILED, message="m",
                         evidence=[ValueMismatch("3", "(3, 3)")])
    text = parse_html(render_html(GradeReport("conv", "c.py", "quick", 0, "", "process", [result]))).text
    assert "expected = 3" in text and "yours = (3, 3)" in text


def tokens(source: str) -> list:
    """markdown-it's block and inline tokens, flattened."""
    flat = []
    for token in markdown_parser().parse(source):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def test_markdown_has_the_essentials(markdown_source: str) -> None:
    assert "**5/13 points.**" in markdown_source
    for result in full_report().results:
        assert result.title in markdown_source.replace("\\", "")
    assert "> **Likely cause:** your dx equals the gradient with the stride ignored" in markdown_source
    assert "| dw | wrong shape or type | n/a |" in markdown_source


def test_markdown_tables_are_well_formed(markdown_source: str) -> None:
    stream = markdown_parser().parse(markdown_source)
    blocks = re.findall(r"(?:^\|.*\|\n)+", markdown_source, flags=re.MULTILINE)
    # the overview, the inputs, two expected and two actual slices, the gradients, the layers
    assert len(blocks) == sum(t.type == "table_open" for t in stream) >= 9
    for block in blocks:
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in block.splitlines()}
        assert len(widths) == 1, block  # no student text added or removed a cell


def test_markdown_student_text_stays_in_its_fence_and_cells(markdown_source: str) -> None:
    flat = tokens(markdown_source)
    fences = [t.content for t in flat if t.type == "fence"]
    assert NOISY_OUTPUT.rstrip() + "\n" in fences
    assert any('raise ValueError("<script>alert(1)</script>")' in f for f in fences)
    assert not [t for t in flat if t.type in ("html_inline", "html_block")]
    cells = [t.content for t in flat if t.type == "text"]
    assert "Tanh | x" in cells and f"Conv2d{ATTACK}" in cells
    rendered = markdown_parser().render(markdown_source)
    assert "<script" not in rendered and "<img src=x" not in rendered


def test_markdown_embeds_the_plots_as_svg_data_uris(markdown_source: str) -> None:
    images = [t for t in tokens(markdown_source) if t.type == "image"]
    assert len(images) == 3  # the loss curve and two heat maps
    for image in images:
        source = image.attrs["src"]
        assert source.startswith(SVG_URI)
        ElementTree.fromstring(base64.b64decode(source[len(SVG_URI):]))


@pytest.mark.parametrize("text", ["- item", "1. first", "# heading", "<b>x</b>", "[link](http://x)", "a | b",
                                  "*em* _em_ `code`", "===", "> quote", "&amp; \\*"])
def test_inline_escaping_shows_text_literally(text: str) -> None:
    flat = tokens(f"{escape_inline(text)}\n")
    assert [t.type for t in flat if t.type not in ("text", "softbreak")] == ["paragraph_open", "inline",
                                                                           "paragraph_close"]
    assert "".join(t.content for t in flat if t.type == "text") == text


def test_summary_line_names_checks_that_could_not_run() -> None:
    from grader.results import NOT_GRADABLE, PASSED, CheckResult, GradeReport

    passed = CheckResult("a", "A", ("fit",), 1, 1, PASSED)
    gpu = CheckResult("gpu", "GPU", ("fit",), 0, 0, NOT_GRADABLE, "no CUDA device")
    line = summary(GradeReport("train", "x.py", "quick", 0, "pytorch", "process", [passed, gpu]))
    assert "1 of 1 checks passed (all passed, 1 not gradable here)" in line
    empty = summary(GradeReport("train", "x.py", "quick", 0, "pytorch", "process", [gpu]))
    assert "no check could be graded" in empty and "all passed" not in empty
