"""What every report shows, built once: the HTML and Markdown reports read ``report_view``, the terminal report,
Gradescope's text and the notebook read ``feedback`` and ``summary``. The wording students read lives here.

A check's evidence (``grader.evidence``) becomes statuses, array slices with the differing cells marked, error
summaries, gradient and layer tables, and plots.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from markupsafe import Markup

from grader.evidence import (ArrayMismatch, GradientErrors, Layer, LayerTables, StudentTraceback, TrainingRun,
                             ValueMismatch, first)
from grader.repair.hints import INSTRUCTOR, Hint, hint_for
from grader.reports import plots
from grader.results import FAILED, NOT_GRADABLE, PASSED, CheckResult, GradeReport
from grader.status import Status

MAX_SLICES = 8
HEAT_MAP_MIN_ENTRIES = 16
NEEDS_WORK = "Needs work"
GROUPS = {PASSED: "Passed", NOT_GRADABLE: "Not gradable here"}


@dataclass(frozen=True)
class Badge:
    """How a status looks: its word, its CSS class, and a symbol so colour is never the only cue."""

    label: Status
    css: str
    symbol: str


SYMBOLS = {Status.PASSED: "\u2713", Status.FAILED: "\u2717", Status.TIMED_OUT: "\u25f7", Status.CRASHED: "\u203c",
           Status.NOT_GRADED: "\u2026", Status.NOT_GRADABLE: "\u2205", Status.DID_NOT_LOAD: "\u2298",
           Status.GRADER_ERROR: "\u26a0"}


def badge(status: Status) -> Badge:
    """The badge of a status: its word, the word as a CSS class (``timed-out``) and its symbol."""
    return Badge(status, status.replace(" ", "-"), SYMBOLS[status])


@dataclass(frozen=True)
class Cell:
    """One array entry as text, and whether it differs from the expected value (``worst``: the largest error)."""

    text: str
    differs: bool = False
    worst: bool = False


@dataclass(frozen=True)
class Slice:
    """A 2-D (or one-row) piece of an array: ``caption`` says which, e.g. ``[0, 1, :, :]``."""

    caption: str
    rows: list[list[Cell]]

    @property
    def columns(self) -> range:
        """The column indices, for the table's header row."""
        return range(len(self.rows[0]) if self.rows else 0)


@dataclass(frozen=True)
class ArrayView:
    """A named value: a scalar or text shown inline, or an array shown as slices (``hidden`` more not shown)."""

    name: str
    shape: str
    inline: str | None
    slices: list[Slice]
    hidden: int


@dataclass(frozen=True)
class SlicePair:
    """The same slice of the expected array and of the student's, and a heat map of their difference."""

    caption: str
    expected: Slice
    actual: Slice
    heat_map: Markup | None


@dataclass(frozen=True)
class Comparison:
    """Expected next to actual: paired slices when the shapes agree, else each value on its own."""

    pairs: list[SlicePair]
    hidden: int
    separate: list[ArrayView]


@dataclass(frozen=True)
class LayerRow:
    """One row of the side-by-side layer tables; ``differs`` when the two layers do not agree."""

    yours: tuple[str, str, str]
    expected: tuple[str, str, str]
    differs: bool


@dataclass(frozen=True)
class CheckView:
    """Everything the templates show for one check, already shaped for display."""

    result: CheckResult
    badge: Badge
    anchor: str
    points: str
    inputs: list[ArrayView]
    comparison: Comparison | None
    errors: list[tuple[str, str]]
    gradients: list[tuple[str, str, str]]
    layers: list[LayerRow]
    loss_plot: Markup | None
    losses: str
    traceback: str
    not_gradable: str  # the sentence for a check that could not run here, '' otherwise
    hint: Hint | None = None  # a verified repair of the function, as the view's hint level shows it


@dataclass(frozen=True)
class ReportView:
    """The report as the templates read it: the grade, an honest verdict, what the profile means, each check."""

    report: GradeReport
    score: str
    percent: float
    verdict: str
    profile_note: str
    checks: list[CheckView]
    badge: Badge  # the submission's status
    detail: str  # what follows its word where it helps ("in conv_forward"), or ''
    functions: list[tuple[str, Badge]]  # each function's status
    instructor: bool = False  # the instructor's view: every repair in full

    @property
    def groups(self) -> list[tuple[str, list[CheckView]]]:
        """The checks to read first (failed, timed out, crashed), then the passed ones, then those not gradable
        here; empty groups left out."""
        groups = [(title, [c for c in self.checks if GROUPS.get(c.result.status, NEEDS_WORK) == title])
                  for title in (NEEDS_WORK, GROUPS[PASSED], GROUPS[NOT_GRADABLE])]
        return [(title, checks) for title, checks in groups if checks]


def report_view(report: GradeReport, instructor: bool = False) -> ReportView:
    """The view both templates render: computed once here so the HTML and Markdown reports say the same. The
    student's view shows repairs at the report's hint level, the instructor's in full."""
    percent = 100 * report.score / report.max_score if report.max_score else 0.0
    return ReportView(report, f"{report.score:g}/{report.max_score:g}", percent, verdict(report),
                      profile_note(report.profile), [check_view(r, check_hint(report, r, instructor))
                                                     for r in report.results], badge(report.status), report.detail,
                      [(name, badge(status)) for name, status in report.function_statuses.items()], instructor)


def check_hint(report: GradeReport, result: CheckResult, instructor: bool = False) -> Hint | None:
    """The hint a check shows: the repair of its function, at the report's hint level (the instructor's view: in
    full), on a failed check only."""
    return hint_for(result.functions, result.status == FAILED, report.repairs,
                    INSTRUCTOR if instructor else report.hints)


NO_POINTS, NO_POINTS_EACH = "neither adds nor removes points", "neither add nor remove points"


@dataclass(frozen=True)
class Counts:
    """How a report's checks ended, counted once for every sentence that reports them."""

    graded: int  # every check but those not gradable here
    passed: int
    by_status: dict[Status, int]  # every status a check ended in, in the vocabulary's order
    not_gradable: int

    @classmethod
    def of(cls, report: GradeReport) -> Counts:
        by_status = {status: n for status in Status if (n := sum(r.status == status for r in report.results))}
        not_gradable = by_status.get(NOT_GRADABLE, 0)
        return cls(len(report.results) - not_gradable, by_status.get(PASSED, 0), by_status, not_gradable)

    @property
    def unfinished(self) -> list[str]:
        """'1 failed', '2 not graded', ...: the checks graded here that did not pass, by status."""
        return [f"{n} {status}" for status, n in self.by_status.items() if status not in (PASSED, NOT_GRADABLE)]


def verdict(report: GradeReport) -> str:
    """How many checks ran and passed, as the reports' headline; 'All' only when every check ran here and passed."""
    counts = Counts.of(report)
    if counts.graded and counts.passed == len(report.results):
        return f"All {counts.passed} checks passed." if counts.passed > 1 else "The 1 check passed."
    sentence = "; ".join([f"{counts.passed} of {counts.graded} checks passed", *counts.unfinished]) + "."
    if counts.not_gradable == 1:
        sentence += f" 1 check is not gradable here: it {NO_POINTS}."
    elif counts.not_gradable:
        sentence += f" {counts.not_gradable} checks are not gradable here: they {NO_POINTS_EACH}."
    return sentence


def summary(report: GradeReport) -> str:
    """One honest line for the terminal, Gradescope, the notebook and the gradebook: the submission's status, points,
    checks passed and how the others ended, what could not run here, the profile and the seed."""
    counts = Counts.of(report)
    state = "no check could be graded" if not counts.graded else ", ".join(counts.unfinished) or "all passed"
    unrun = f", {counts.not_gradable} {NOT_GRADABLE}" if counts.not_gradable else ""
    return (f"{report.assignment}: {report.what_happened}, {report.score:g}/{report.max_score:g} points; "
            f"{counts.passed} of {counts.graded} checks passed ({state}{unrun}), {report.profile} profile, "
            f"seed {report.seed}")


def function_line(report: GradeReport) -> str:
    """Each function's status on one line, for the terminal and the notebook: "conv_forward failed, zero_pad
    passed"."""
    return ", ".join(f"{name} {status}" for name, status in report.function_statuses.items())


def not_gradable_text(result: CheckResult) -> str:
    """Why a check could not run on this machine, and that it costs nothing."""
    return f"Not gradable here: {result.message}. This check {NO_POINTS}."


def feedback(result: CheckResult, hint: Hint | None = None) -> str:
    """The text a student reads for one check (terminal, Gradescope): the reason, the likely cause and the hint,
    the smallest failing input, the evidence, and what their code printed."""
    if result.status == NOT_GRADABLE:
        return not_gradable_text(result)
    if result.passed:
        return "\n".join([f"Passed on {result.examples_run} inputs."] + result.notes)
    lines = [result.message] + ([f"Likely cause: {result.diagnosis}"] if result.diagnosis else []) + result.notes
    lines += [hint.text()] if hint is not None else []
    if result.counterexample:
        lines.append(f"Smallest failing input: {result.counterexample['description']}")
        arrays, shapes = result.counterexample.get("arrays", {}), result.counterexample.get("shapes", {})
        for name in shapes or arrays:
            text = (format_named(name, arrays[name]) if name in arrays else
                    f"{name}: shape {tuple(shapes[name])}, too large to show here")
            lines.append(textwrap.indent(text, "  "))
    lines += evidence_lines(result)
    if result.output.strip():
        lines.append("Your code printed:\n" + result.output.rstrip())
    return "\n".join(lines)


def evidence_lines(result: CheckResult) -> list[str]:
    """The evidence as text: expected next to got, the gradient table, the layer tables, the traceback."""
    lines = []
    values = first(result.evidence, ValueMismatch) or first(result.evidence, ArrayMismatch)
    if values is not None and values.expected is not None and values.actual is not None:
        lines.append(textwrap.indent(format_named("expected", values.expected), "  "))
        lines.append(textwrap.indent(format_named("got     ", values.actual), "  "))
    gradients = first(result.evidence, GradientErrors)
    if gradients is not None:
        lines.append("  largest error of each gradient:   vs autograd      vs central differences")
        lines += [f"    {row.gradient:<31}{error_text(row.vs_autograd):<16} {error_text(row.vs_numeric)}"
                  for row in gradients.rows]
    layers = first(result.evidence, LayerTables)
    if layers is not None:
        lines.append(layer_text(layers))
    trace = first(result.evidence, StudentTraceback)
    if trace is not None and trace.text:
        lines.append("Traceback (your code):\n" + trace.text.rstrip())
    return lines


def format_named(name: str, values: Any) -> str:
    """``name = array`` printed the way numpy prints it, continuation lines aligned under the first."""
    lead = f"{name} = "
    text = np.array2string(np.asarray(values), separator=", ", threshold=64, prefix=lead)
    return lead + "\n".join(line for line in text.splitlines() if line.strip())


def layer_text(tables: LayerTables) -> str:
    """The student's layers next to the expected ones: type, output shape, parameters (like model.summary())."""
    def cells(row: Layer | None) -> str:
        return f"{row.layer:<10} {str(row.output_shape):<14} {row.parameters:>7,}" if row else " " * 33

    lines = [f"  {'your layers':<33}   {'expected layers':<33}"]
    for mine, theirs in itertools.zip_longest(tables.yours, tables.expected):
        lines.append(f"  {cells(mine)}   {cells(theirs)}")
    return "\n".join(lines)


def profile_note(profile: str) -> str:
    """What the profile means for the student's grade."""
    if profile == "thorough":
        return "Thorough profile: the one the official grade uses."
    return (f"{profile.capitalize()} profile: the official grade runs these same checks with the thorough "
            "profile (more inputs, another seed), so it can find failures this run did not.")


def check_view(result: CheckResult, hint: Hint | None = None) -> CheckView:
    """One check shaped for the templates: its status, points, evidence, plots and hint."""
    counterexample = result.counterexample or {}
    shapes = counterexample.get("shapes", {})
    arrays = counterexample.get("arrays", {})
    inputs = [array_view(name, arrays.get(name), shapes.get(name)) for name in shapes or arrays]
    training = first(result.evidence, TrainingRun)
    losses = list(training.losses) if training else None
    trace = first(result.evidence, StudentTraceback)
    return CheckView(result, badge(result.status), f"check-{result.name}", points_text(result), inputs,
                     comparison(result), error_summary(first(result.evidence, ArrayMismatch)),
                     gradient_rows(first(result.evidence, GradientErrors)),
                     layer_rows(first(result.evidence, LayerTables)), loss_plot(losses),
                     ", ".join(number_text(v) for v in losses) if losses is not None else "",
                     trace.text if trace else "", not_gradable_text(result) if result.status == NOT_GRADABLE else "",
                     hint)


PLOTTABLE_LOSS = 1e12  # larger is no loss a network computes: shown as text, never scaled into an SVG
PLOTTABLE_EPOCHS = 1000


def loss_plot(losses: Any) -> Markup | None:
    """The loss curve when fit returned a list of 1 to 1,000 finite numbers of a plausible size; None otherwise
    (the report then shows what it returned as text)."""
    if (isinstance(losses, list) and 0 < len(losses) <= PLOTTABLE_EPOCHS
            and all(is_real(v) and math.isfinite(v) and abs(v) <= PLOTTABLE_LOSS for v in losses)):
        return plots.loss_curve(losses)
    return None


def points_text(result: CheckResult) -> str:
    """'2/3 points', or 'no points' for a check that could not run here."""
    if result.status == NOT_GRADABLE:
        return "no points"
    return f"{result.score:g}/{result.max_score:g}"


def is_real(value: Any) -> bool:
    """A plain int or float (not a bool, not text)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_text(value: Any) -> str:
    """A number the way a student reads it: ints as they are, floats to 6 significant digits."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def shape_of(values: Any) -> tuple[int, ...] | None:
    """The shape of a rectangular nested list of numbers (``()`` for a number); None for anything else."""
    if isinstance(values, (int, float)):
        return ()
    if not isinstance(values, (list, tuple)) or not values:
        return None
    inner = [shape_of(v) for v in values]
    if inner[0] is None or any(s != inner[0] for s in inner):
        return None
    return (len(values), *inner[0])


def at(values: Any, index: Sequence[int]) -> Any:
    """``values[i][j]...`` for a nested list."""
    for i in index:
        values = values[i]
    return values


def as_grid(values: Any, ndim: int) -> list[list[Any]]:
    """A slice as rows: a 1-D slice is one row."""
    return [list(values)] if ndim == 1 else [list(row) for row in values]


def slice_caption(index: tuple[int, ...]) -> str:
    """Which slice of an N-D array: ``[0, 1, :, :]``."""
    return "[" + ", ".join([*map(str, index), ":", ":"]) + "]" if index else ""


def make_slice(values: Any, ndim: int, index: tuple[int, ...], differs: Any = None,
               worst: tuple[int, ...] | None = None) -> Slice:
    """A table-ready slice; ``differs`` (booleans of the same shape) and ``worst`` (a full index) mark cells."""
    grid = as_grid(at(values, index), ndim)
    marks = as_grid(at(differs, index), ndim) if differs is not None else None
    spot = worst_cell(worst, ndim, index)
    rows = [[Cell(number_text(v), bool(marks[r][c]) if marks else False, (r, c) == spot)
             for c, v in enumerate(row)] for r, row in enumerate(grid)]
    return Slice(slice_caption(index), rows)


def worst_cell(worst: tuple[int, ...] | None, ndim: int, index: tuple[int, ...]) -> tuple[int, int] | None:
    """Row and column of the largest error within the slice at ``index``; None when it lies in another slice."""
    if worst is None or (worst[:-2] if ndim >= 2 else ()) != index:
        return None
    return (worst[-2], worst[-1]) if ndim >= 2 else (0, worst[-1])


def slice_indices(shape: tuple[int, ...], differs: Any = None) -> tuple[list[tuple[int, ...]], int]:
    """The leading indices of the 2-D slices to show (those with differences first in line) and how many
    are left out; a 1-D or 2-D array is a single slice."""
    indices = list(itertools.product(*(range(n) for n in shape[:-2])))
    if len(indices) <= MAX_SLICES:
        return indices, 0
    wrong = [i for i in indices if differs is not None and any_true(at(differs, i))]
    keep = set((wrong + [i for i in indices if i not in wrong])[:MAX_SLICES])
    return [i for i in indices if i in keep], len(indices) - len(keep)


def any_true(marks: Any) -> bool:
    """Whether a nested list of booleans holds a True."""
    return any(any_true(m) for m in marks) if isinstance(marks, list) else bool(marks)


def shape_text(shape: Sequence[int] | None) -> str:
    """A shape as Python prints a tuple: ``(1, 1, 5, 5)``, ``(3,)``."""
    if shape is None:
        return ""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def array_view(name: str, values: Any, shape: Sequence[int] | None = None) -> ArrayView:
    """A value for display: text and scalars inline, arrays as slices; ``values`` None means too large to show."""
    found = shape_of(values)
    if values is None:
        return ArrayView(name, shape_text(shape), None, [], 0)
    if not found:
        return ArrayView(name, shape_text(shape), number_text(values) if found == () else str(values), [], 0)
    indices, hidden = slice_indices(found)
    return ArrayView(name, shape_text(found), None, [make_slice(values, len(found), i) for i in indices], hidden)


def comparison(result: CheckResult) -> Comparison | None:
    """Expected next to the student's values, differing entries marked, with heat maps of larger slices."""
    values = first(result.evidence, ValueMismatch) or first(result.evidence, ArrayMismatch)
    if values is None or values.expected is None or values.actual is None:
        return None
    expected, actual = values.expected, values.actual
    shape = shape_of(expected)
    if not shape or shape_of(actual) != shape:
        return Comparison([], 0, [array_view("expected", expected), array_view("yours", actual)])
    differs = getattr(values, "differs", None)
    differs = differs if shape_of(differs) == shape else None
    worst = getattr(values, "worst_index", None)
    worst = tuple(worst) if worst is not None and len(worst) == len(shape) else None
    indices, hidden = slice_indices(shape, differs)
    scale = largest_error(expected, actual)
    pairs = [pair(expected, actual, differs, worst, len(shape), i, scale) for i in indices]
    return Comparison(pairs, hidden, [])


def pair(expected: Any, actual: Any, differs: Any, worst: tuple[int, ...] | None, ndim: int,
         index: tuple[int, ...], scale: float) -> SlicePair:
    """One slice of expected and actual (differing entries marked on the student's side, the largest error on
    both), and a heat map when the slice is large enough for one to help."""
    left = make_slice(expected, ndim, index, None, worst)
    right = make_slice(actual, ndim, index, differs, worst)
    entries = len(left.rows) * len(left.rows[0])
    picture = None
    if ndim >= 2 and entries > HEAT_MAP_MIN_ENTRIES and scale > 0:
        picture = plots.heat_map(at(expected, index), at(actual, index), scale, left.caption)
    return SlicePair(left.caption, left, right, picture)


def largest_error(expected: Any, actual: Any) -> float:
    """The largest finite |expected - actual|, the top of the heat maps' colour scale."""
    with np.errstate(all="ignore"):
        error = np.abs(np.asarray(expected, dtype=np.float64) - np.asarray(actual, dtype=np.float64))
    finite = error[np.isfinite(error)]
    return float(finite.max()) if finite.size else 0.0


def error_summary(mismatch: ArrayMismatch | None) -> list[tuple[str, str]]:
    """The largest absolute and relative errors and where they are, and how many entries differ."""
    if mismatch is None:
        return []
    shape = shape_of(mismatch.actual)
    total = f" of {math.prod(shape)}" if shape else ""
    return [("Entries that differ", f"{mismatch.mismatches}{total}"),
            ("Largest absolute error", f"{mismatch.max_abs_error:.4g} at index {shape_text(mismatch.worst_index)}"),
            ("Largest relative error", f"{mismatch.max_rel_error:.4g}{relative_worst(mismatch)}")]


def relative_worst(mismatch: ArrayMismatch) -> str:
    """' at index (...)' of the largest relative error, when both arrays are at hand; else ''."""
    shape = shape_of(mismatch.expected)
    if not shape or shape_of(mismatch.actual) != shape:
        return ""
    expected = np.asarray(mismatch.expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        error = np.abs(np.asarray(mismatch.actual, dtype=np.float64) - expected)
        relative = np.where(error == 0, 0.0, error / np.abs(expected))
    relative = np.where(np.isnan(relative), np.inf, relative)
    index = np.unravel_index(int(np.argmax(relative)), shape)
    return f" at index {shape_text([int(i) for i in index])}"


def gradient_rows(gradients: GradientErrors | None) -> list[tuple[str, str, str]]:
    """Each gradient's largest error against autograd and against central differences (backward checks), so a
    student sees which of dx, dw, db is wrong."""
    if gradients is None:
        return []
    return [(row.gradient, error_text(row.vs_autograd), error_text(row.vs_numeric)) for row in gradients.rows]


def error_text(value: Any) -> str:
    """An error to 3 significant digits; anything else (a reason it could not be measured) as it is."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def layer_rows(tables: LayerTables | None) -> list[LayerRow]:
    """The student's layers next to the expected ones, row by row, rows that disagree marked."""
    if tables is None:
        return []
    rows = []
    for mine, theirs in itertools.zip_longest(tables.yours, tables.expected):
        left, right = layer_cells(mine), layer_cells(theirs)
        rows.append(LayerRow(left, right, left != right))
    return rows


def layer_cells(layer: Layer | None) -> tuple[str, str, str]:
    """A layer's type, output shape and parameter count as text; blanks where there is no layer."""
    if layer is None:
        return ("", "", "")
    return (layer.layer, shape_text(layer.output_shape), f"{layer.parameters:,}")
