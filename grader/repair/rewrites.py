"""The error model: rewrites of a function's source, each undoing one mistake students of this course make.

A rule reads a function (``grader.repair.scope``) and proposes rewrites; a rewrite replaces one or more spans of
the source (a mistake repeated at several places, such as a stride forgotten in every index, is one rewrite).
Rules are listed commonest mistake first (``array_rules.RULES``, ``torch_rules.RULES``): the search tries
candidates of one rewrite in that order, then combinations of two and of three.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from grader.repair.scope import Scope
from grader.repair.source import Definition, Site


@dataclass(frozen=True)
class Rewrite:
    """One change: the mistake it undoes (``rule``, counted by the class summary), what a student reads about it
    (``says``), where, the spans it replaces, and its rule's rank (commoner mistakes first)."""

    rule: str
    says: str
    where: str
    sites: tuple[Site, ...]
    rank: int = 0

    def clashes(self, other: "Rewrite") -> bool:
        """Whether the two replace overlapping text (they cannot both apply)."""
        return any(a.overlaps(b) for a in self.sites for b in other.sites)


Rule = Callable[[Scope], Iterable[Rewrite]]


def rewrites(definition: Definition, rules: Sequence[Rule]) -> list[Rewrite]:
    """Every rewrite the rules propose for ``definition``, ranked by rule, each valid Python that changes the
    code; two rewrites giving the same code count once (the first kept)."""
    scope, found, seen = Scope(definition), [], {definition.rewritten(())}
    for rank, rule in enumerate(rules):
        for rewrite in rule(scope):
            code = definition.rewritten(rewrite.sites)
            if code not in seen and parses(code):
                seen.add(code)
                found.append(Rewrite(rewrite.rule, rewrite.says, rewrite.where, rewrite.sites, rank))
    return found


def combinable(chosen: Sequence[Rewrite]) -> bool:
    """Whether rewrites can apply together: no two touch the same text."""
    return all(not a.clashes(b) for i, a in enumerate(chosen) for b in chosen[i + 1:])


def sites_of(chosen: Sequence[Rewrite]) -> list[Site]:
    return [piece for rewrite in chosen for piece in rewrite.sites]


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True

