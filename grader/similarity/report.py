"""`OUT/similarity.html`: the most similar pairs, each with both submissions side by side and the matching
regions marked; rendered with the reports' autoescaping environment, so no submission's text becomes markup."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader.files import write_atomic
from grader.similarity.fingerprints import Code, Pair, class_code, pairs

from grader.batch.layout import SIMILARITY_NAME as REPORT_NAME
SHOWN = 30  # pairs shown side by side; the table lists every pair above the threshold


def segments(text: str, regions: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into runs, each marked whether it lies in a matching region."""
    cuts, at = [], 0
    for start, end in regions:
        start = max(start, at)
        if start > at:
            cuts.append((text[at:start], False))
        if end > start:
            cuts.append((text[start:end], True))
        at = max(at, end)
    return cuts + ([(text[at:], False)] if at < len(text) else [])


def released_stub(assignment: str, root: Path) -> str:
    """The code every student was given: the released stub, else the one `grader release` would write, else ''."""
    from grader.release import make_stub

    stub = root / "assignments" / assignment / f"{assignment}.py"
    if stub.is_file():
        return stub.read_text(encoding="utf-8")
    reference = root / "reference" / f"{assignment}.py"
    return make_stub(reference.read_text(encoding="utf-8"), reference.name) if reference.is_file() else ""


def write_similarity(assignment: str, submissions: Path, out: Path, past: list[Path], stub: str,
                     threshold: float) -> list[Pair]:
    """Compare the class (and the past classes), write `OUT/similarity.html`, and return the pairs flagged."""
    with tempfile.TemporaryDirectory(prefix="grader-similarity-") as scratch:
        current, unread = class_code(assignment, submissions, Path(scratch) / "current")
        earlier = []
        for index, folder in enumerate(past):
            codes, missed = class_code(assignment, folder, Path(scratch) / f"past-{index}", past=True)
            earlier += [Code(f"{folder.name}/{code.student}", code.text, True) for code in codes]
            unread += [f"{folder.name}/{line}" for line in missed]
    found = pairs(current, earlier, stub)
    flagged = [pair for pair in found if pair.similarity >= threshold]
    from grader.reports.html import environment

    page = environment().get_template("similarity.html.j2").render(
        assignment=assignment, flagged=flagged, shown=flagged[:SHOWN], compared=len(found), students=len(current),
        past=len(earlier), unread=unread, threshold=threshold, segments=segments, stub=bool(stub.strip()))
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / REPORT_NAME, page)
    return flagged
