"""Each submission's runs of tokens, hashed with a stable hash, and how much of one submission's own code the
other holds.

A run is ``RUN`` consecutive tokens (names and strings normalised, see tokens.py); every run is kept, none is
sampled, so two submissions that share a stretch of ``RUN`` tokens always match on it. The hash is BLAKE2b of
the run's text, the same in every process (Python's ``hash()`` is salted per process, which made the same
command flag different pairs from one run to the next). Runs of shared code (the released stub, ``--base``
files) are left out with the tokens they cover, and runs common to much of the class match no one (compare.py):
what remains is each submission's own code, and a pair's share is how much of it the other submission holds too.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from functools import cached_property

from grader.similarity.tokens import Token, tokens

RUN = 12  # tokens in a run: a shorter shared stretch (one natural line: `N = N.shape`) says nothing


def run_hashes(found: list[Token]) -> list[int]:
    """The stable hash of the run that starts at each token (none when there are fewer than RUN tokens)."""
    texts = [token.text for token in found]
    return [int.from_bytes(hashlib.blake2b("\0".join(texts[at:at + RUN]).encode(), digest_size=8).digest(), "big")
            for at in range(len(texts) - RUN + 1)]


@dataclass(frozen=True)
class Code:
    """One text compared: a submission of this class (``kind`` "current"), of a past class ("past"), or the
    grader's own code ("source"); ``name`` is what the report calls it."""

    name: str
    text: str
    kind: str = "current"

    @cached_property
    def tokens(self) -> list[Token]:
        return tokens(self.text)

    @cached_property
    def runs(self) -> list[int]:
        return run_hashes(self.tokens)


def shared_runs(texts: list[str]) -> frozenset[int]:
    """The runs of shared code (the stub, base files): never counted in any submission."""
    return frozenset(run for text in texts for run in run_hashes(tokens(text)))


@dataclass(frozen=True)
class Fingerprint:
    """A code's own runs, each with where it starts (``positions``), and for each token whether it is free (in no
    run of shared code), counted from the start (``free_before``). Its own code is the free tokens its own runs
    cover. Runs common to the class are not its own, but do not make the tokens they cover shared: each of those
    tokens is its own when another of its runs covers it."""

    code: Code
    positions: dict[int, list[int]] = field(repr=False)
    free_before: list[int] = field(repr=False)

    @classmethod
    def of(cls, code: Code, shared: frozenset[int], common: frozenset[int]) -> Fingerprint:
        free = [True] * len(code.tokens)
        positions: dict[int, list[int]] = {}
        for at, run in enumerate(code.runs):
            if run in shared:
                free[at:at + RUN] = [False] * RUN
            elif run not in common:
                positions.setdefault(run, []).append(at)
        return cls(code, positions, [0, *itertools.accumulate(free)])

    @cached_property
    def counted(self) -> int:
        """How many tokens are its own code."""
        return self.free_in(spans(sorted(at for starts in self.positions.values() for at in starts)))

    def free_in(self, found: list[tuple[int, int]]) -> int:
        """How many free tokens lie in these spans of token indexes."""
        return sum(self.free_before[end] - self.free_before[start] for start, end in found)

    def held_by(self, other: Fingerprint) -> list[tuple[int, int]]:
        """The spans of token indexes covered by the runs this code and the other both hold."""
        both = self.positions.keys() & other.positions.keys()
        return spans(sorted(at for run in both for at in self.positions[run]))

    def share_held_by(self, other: Fingerprint) -> float:
        """The fraction of this code's own tokens that the other code holds too (0 when it has none)."""
        return self.free_in(self.held_by(other)) / self.counted if self.counted else 0.0

    def is_free(self, index: int) -> bool:
        return self.free_before[index + 1] > self.free_before[index]

    def given_regions(self) -> list[tuple[int, int]]:
        """The character ranges of the shared code (the stub, base files), with the comments and blank lines
        between its tokens: what the report folds away."""
        found: list[tuple[int, int]] = []
        tokens = self.code.tokens
        for index in range(len(tokens)):
            if self.is_free(index):
                continue
            start = tokens[index - 1].end if index else 0
            end = tokens[index + 1].start if index + 1 < len(tokens) else len(self.code.text)
            if found and found[-1][1] >= start:
                found[-1] = (found[-1][0], end)
            else:
                found.append((start, end))
        return found

    def regions(self, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The free tokens of these spans as character ranges of the text, consecutive tokens merged."""
        ranges: list[tuple[int, int]] = []
        for start, end in found:
            joined = False
            for index in range(start, end):
                token = self.code.tokens[index]
                if not self.is_free(index):
                    joined = False
                elif joined:
                    ranges[-1] = (ranges[-1][0], token.end)
                else:
                    ranges.append((token.start, token.end))
                    joined = True
        return ranges


def spans(starts: list[int]) -> list[tuple[int, int]]:
    """The token spans that runs starting at these (sorted) indexes cover, overlapping ones merged."""
    found: list[tuple[int, int]] = []
    for at in starts:
        if found and at <= found[-1][1]:
            found[-1] = (found[-1][0], at + RUN)
        else:
            found.append((at, at + RUN))
    return found
