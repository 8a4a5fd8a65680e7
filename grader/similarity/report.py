"""`OUT/similarity.html`: how alike the class's pairs are (a histogram drawn inline), the pairs that stand out and
the submissions that hold the grader's own code, each flagged pair side by side with the matching regions marked.
Rendered with the reports' autoescaping environment, so no submission's text becomes markup; the same inputs give
the same bytes."""

from __future__ import annotations

import bisect
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.batch.layout import SIMILARITY_NAME as REPORT_NAME
from grader.files import write_atomic
from grader.similarity.compare import Comparison, Pair, compare
from grader.similarity.fingerprints import RUN, Code
from grader.similarity.read import class_code
from grader.similarity.stub import SharedCode
from grader.similarity.threshold import Threshold, class_threshold

SHOWN = 30  # flagged pairs shown side by side; the tables list every one
BINS = 50  # histogram bars, each 2 points of share wide
FOLDED = 4  # stretches of given code this many lines long are folded away in the side-by-side view


@dataclass(frozen=True)
class Outcome:
    """What `grader similarity` found: the threshold, the flagged pairs and the submissions flagged for holding
    the grader's own code."""

    threshold: Threshold
    compared: int
    flagged: list[Pair]
    flagged_grader: list[Pair]

    def summary(self) -> str:
        """One line for the terminal."""
        holding = len(self.flagged_grader)
        return (f"{len(self.flagged)} of {self.compared} pair{'s' if self.compared != 1 else ''} flagged at or above "
                f"{self.threshold.value:.0%} ({self.threshold.reason()}); {holding} submission"
                f"{'s hold' if holding != 1 else ' holds'} the grader's own code")


@dataclass(frozen=True)
class Bar:
    """One histogram bar: its share range in percent, how many pairs fall in it, and its height (0 to 1, on a
    logarithmic scale, so that the few pairs of the tail stay visible beside thousands)."""

    low: int
    high: int
    pairs: int
    height: float


def histogram(similarities: list[float]) -> list[Bar]:
    """The pairs' similarities in BINS bars from 0 to 100 %."""
    counts = [0] * BINS
    for value in similarities:
        counts[min(int(value * BINS), BINS - 1)] += 1
    top = math.log1p(max(counts, default=0)) or 1.0
    width = 100 // BINS
    return [Bar(index * width, (index + 1) * width, count, math.log1p(count) / top)
            for index, count in enumerate(counts)]


@dataclass(frozen=True)
class Piece:
    """A stretch of a compared text and what it is: "match" (the other holds it too), "own" (the rest of the
    submission's own code), "given" (shared code, shown) or "folded" (shared code too long to show: ``text`` says
    how many lines)."""

    text: str
    kind: str


def pieces(text: str, marked: list[tuple[int, int]], given: list[tuple[int, int]]) -> list[Piece]:
    """The text cut where a matching region or a region of given code starts or ends (both lists sorted, neither
    overlapping itself; a match wins over given code), with long stretches of given code folded."""
    cuts = sorted({0, len(text), *(at for region in marked + given for at in region)})
    found: list[Piece] = []
    for start, end in zip(cuts, cuts[1:]):
        kind = "match" if inside(marked, start) else "given" if inside(given, start) else "own"
        if found and found[-1].kind == kind:
            found[-1] = Piece(found[-1].text + text[start:end], kind)
        else:
            found.append(Piece(text[start:end], kind))
    return [part for piece in found for part in fold(piece)]


def inside(regions: list[tuple[int, int]], at: int) -> bool:
    """Whether the character at ``at`` lies in one of the sorted, disjoint regions."""
    index = bisect.bisect_right(regions, (at, math.inf)) - 1
    return index >= 0 and regions[index][0] <= at < regions[index][1]


def fold(piece: Piece) -> list[Piece]:
    """Given code with at least FOLDED whole lines between its first line and its last three (the `def` and
    docstring of what follows, as a rule) as a line saying how many are folded; everything else as it is."""
    lines = piece.text.split("\n")
    folded = len(lines) - 4
    if piece.kind != "given" or folded < FOLDED:
        return [piece]
    return [Piece(lines[0] + "\n", "given"),
            Piece(f"⋯ {folded} lines of the code every student was given ⋯\n", "folded"),
            Piece("\n".join(lines[-3:]), "given")]


def write_similarity(assignment: str, submissions: Path, out: Path, past: list[Path], shared: list[SharedCode],
                     grader_code: list[Code], threshold: float | None) -> Outcome:
    """Compare the class (with the past classes and the grader's own code), write `OUT/similarity.html`, and
    return what it flags."""
    with tempfile.TemporaryDirectory(prefix="grader-similarity-") as scratch:
        current, unread = class_code(assignment, submissions, Path(scratch) / "current")
        earlier = []
        for index, folder in enumerate(past):
            codes, missed = class_code(assignment, folder, Path(scratch) / f"past-{index}", "past", f"{folder.name}/")
            earlier += codes
            unread += missed
    comparison = compare(current, earlier, grader_code, [code.text for code in shared])
    similarities = [pair.similarity for pair in comparison.pairs]
    cut = class_threshold(similarities, threshold)
    outcome = Outcome(cut, len(comparison.pairs), [pair for pair in comparison.pairs if pair.similarity >= cut.value],
                      [pair for pair in comparison.against_grader if pair.similarity >= cut.value])
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / REPORT_NAME, render(assignment, comparison, outcome, shared, len(current), len(earlier),
                                           [code.name for code in grader_code], unread))
    return outcome


def render(assignment: str, comparison: Comparison, outcome: Outcome, shared: list[SharedCode], students: int,
           past: int, grader_files: list[str], unread: list[str]) -> str:
    """The report's HTML."""
    from grader.reports.html import environment

    flagged = outcome.flagged_grader + outcome.flagged
    return environment().get_template("similarity.html.j2").render(
        assignment=assignment, comparison=comparison, outcome=outcome, shown=flagged[:SHOWN], shared=shared,
        students=students, past=past, grader_files=grader_files, unread=unread, pieces=pieces,
        reference=next((name for name in grader_files if name.startswith("reference/")), None),
        bars=histogram([pair.similarity for pair in comparison.pairs]), run=RUN)
