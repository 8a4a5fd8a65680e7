"""Each submission's student-written code, fingerprinted, and every pair's overlap (copydetect does the
winnowing; why it and not a hand-written one: it normalises Python's names through pygments' tokens, handles
any language a course may add, and reports the matching regions, which the report shows)."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from copydetect import CodeFingerprint, compare_files

from grader.batch.discover import discover
from grader.submission import SubmissionError, load_submission

NOISE_TOKENS = 25  # shorter shared runs are noise (copydetect's default)
GUARANTEE_TOKENS = 30  # every shared run this long is found


@dataclass(frozen=True)
class Code:
    """One submission's code: whose it is, whether it is from a past class, and its text (code cells joined)."""

    student: str
    text: str
    past: bool = False


@dataclass(frozen=True)
class Pair:
    """Two submissions' overlap: each one's share of its own tokens found in the other, and the matching regions
    (character ranges into each text)."""

    first: Code
    second: Code
    shares: tuple[float, float]
    regions: tuple[list[tuple[int, int]], list[tuple[int, int]]]

    @property
    def similarity(self) -> float:
        """The larger share: a short submission copied whole into a long one scores high."""
        return max(self.shares)


def class_code(assignment: str, submissions: Path, scratch: Path, past: bool = False) -> tuple[list[Code], list[str]]:
    """Every readable submission's code, and a line for each one that could not be read."""
    found, unread = [], []
    for entry in discover(submissions, scratch):
        try:
            if entry.problem:
                raise SubmissionError(entry.problem)
            cells = load_submission(entry.path, assignment).cells
        except SubmissionError as error:
            unread.append(f"{entry.student_id}: {error}")
            continue
        found.append(Code(entry.student_id, "\n\n".join(cell.source for cell in cells), past))
    return found, unread


def fingerprint(code: Code, boilerplate: list[int]) -> CodeFingerprint:
    """copydetect's fingerprint of one submission, the stub's fingerprints removed."""
    window = GUARANTEE_TOKENS - NOISE_TOKENS + 1
    return CodeFingerprint(f"{code.student}.py", NOISE_TOKENS, window, boilerplate=boilerplate,
                           fp=io.StringIO(code.text))


def stub_fingerprints(stub: str) -> list[int]:
    """The released stub's fingerprints: what every submission starts from."""
    return list(fingerprint(Code("stub", stub), []).hashes) if stub.strip() else []


def pairs(current: list[Code], past: list[Code], stub: str) -> list[Pair]:
    """Every pair within the class, and each of its submissions against each past one; most similar first."""
    boilerplate = stub_fingerprints(stub)
    prints = {id(code): fingerprint(code, boilerplate) for code in current + past}
    candidates = list(itertools.combinations(current, 2)) + list(itertools.product(current, past))
    found = []
    for first, second in candidates:
        _, shares, slices = compare_files(prints[id(first)], prints[id(second)])
        found.append(Pair(first, second, (float(shares[0]), float(shares[1])),
                          (regions(slices[0]), regions(slices[1]))))
    return sorted(found, key=lambda pair: (-pair.similarity, pair.first.student, pair.second.student))


def regions(slices: object) -> list[tuple[int, int]]:
    """copydetect's 2xN array of (starts, ends) as sorted character ranges (it is empty when nothing matches)."""
    if len(slices) != 2:
        return []
    starts, ends = slices
    return sorted((int(start), int(end)) for start, end in zip(starts, ends))
