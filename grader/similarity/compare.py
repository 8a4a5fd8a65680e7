"""Every pair of a class compared: within the class, against past classes, and against the grader's own code.

Code that much of the class shares is left out like the stub (MOSS's ``-m``): a run held by more than
``common_limit`` submissions is the one natural way to write a line (``if stride < 1: raise ValueError(...)``),
not something one student took from another.
"""

from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass

from grader.similarity.fingerprints import Code, Fingerprint, shared_runs

COMMON_SHARE = 0.2  # a run held by more than this share of the submissions is common code ...
COMMON_AT_LEAST = 3  # ... and never one held by this many or fewer, so three who share code stand out in any class


def common_limit(submissions: int, at_least: int = COMMON_AT_LEAST) -> int:
    """The most submissions a run may be held by and still count as someone's own code."""
    return max(at_least, int(COMMON_SHARE * submissions))


@dataclass(frozen=True)
class Pair:
    """Two codes compared: each one's share of its own code that the other holds too."""

    first: Fingerprint
    second: Fingerprint
    shares: tuple[float, float]

    @property
    def similarity(self) -> float:
        """The larger share (a short submission copied whole into a long one stands out); against the grader's
        own code, the submission's share alone (a large grader module holds a small share of anyone's)."""
        return self.shares[0] if self.second.code.kind == "source" else max(self.shares)

    def regions(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The matching regions of each text, as character ranges."""
        return (self.first.regions(self.first.held_by(self.second)),
                self.second.regions(self.second.held_by(self.first)))


@dataclass(frozen=True)
class Comparison:
    """A class compared: its pairs (within it and with past classes) and its submissions against the grader's
    own code, each most similar first; and the most submissions a run could be held by and still count."""

    pairs: list[Pair]
    against_grader: list[Pair]
    common_limit: int


def compare(current: list[Code], past: list[Code], grader_code: list[Code], shared_texts: list[str],
            at_least: int = COMMON_AT_LEAST) -> Comparison:
    """Compare every pair of ``current``, each of it with each of ``past`` and with each of ``grader_code``;
    ``shared_texts`` (the stub, base files) never count (``at_least``: see common_limit; the calibration bench
    tries other values)."""
    shared = shared_runs(shared_texts)
    students = current + past
    limit = common_limit(len(students), at_least)
    held_by = collections.Counter(run for code in students for run in set(code.runs) - shared)
    common = frozenset(run for run, count in held_by.items() if count > limit)
    prints = {id(code): Fingerprint.of(code, shared, common) for code in students + grader_code}
    within = itertools.chain(itertools.combinations(current, 2), itertools.product(current, past))
    pairs = [pair(prints[id(first)], prints[id(second)]) for first, second in within]
    against = [pair(prints[id(code)], prints[id(source)]) for code in current for source in grader_code]
    return Comparison(most_similar_first(pairs), most_similar_first([p for p in against if p.similarity > 0]),
                      limit)


def pair(first: Fingerprint, second: Fingerprint) -> Pair:
    return Pair(first, second, (first.share_held_by(second), second.share_held_by(first)))


def most_similar_first(pairs: list[Pair]) -> list[Pair]:
    return sorted(pairs, key=lambda pair: (-pair.similarity, pair.first.code.name, pair.second.code.name))
