"""Which pairs stand out from their class: the flag's threshold, computed from the class's own pairs.

Independent solutions of one assignment share some code (one natural loop, the same checks of the arguments),
and how much depends on the assignment and the class. So the threshold is the class's median share plus
``Rule.spreads`` times its spread (the median absolute deviation, scaled by 1.4826 to match a standard deviation),
kept between a floor and a ceiling: never below what independent solutions reach, never so high that a copy
hides in a small class whose few pairs spread wide. Measured by bench/similarity_calibration.py
(bench/RESULTS.md): on 24 conv solutions written independently, and in classes drawn from them, it flags none of
the independent pairs and every planted copy.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

MAD_TO_SD = 1.4826  # the median absolute deviation of a normal distribution is 1/1.4826 of its deviation


@dataclass(frozen=True)
class Rule:
    """The flag's rule: ``spreads`` above the class's median, kept between ``floor`` and ``ceiling``; the ceiling
    alone for a class of fewer than ``min_pairs`` pairs, too few to tell what is usual."""

    spreads: float = 6.0
    floor: float = 0.5
    ceiling: float = 0.65
    min_pairs: int = 45  # a class of 10


RULE = Rule()


@dataclass(frozen=True)
class Threshold:
    """The share at or above which a pair is flagged, and what it came from: the class's median and spread, the
    rule's bound that applied ("floor", "ceiling" or ""), or a value given with --threshold."""

    value: float
    median: float
    spread: float
    bound: str = ""
    given: bool = False
    rule: Rule = RULE

    def reason(self) -> str:
        """Where the value came from, in a few words."""
        if self.given:
            return "given with --threshold"
        rule = f"the class's median {self.median:.0%} + {self.rule.spreads:g} spreads of {self.spread:.0%}"
        return {"floor": f"the floor: {rule} is lower", "ceiling": f"the ceiling: {rule} is higher",
                "few pairs": f"the ceiling: fewer than {self.rule.min_pairs} pairs are too few to tell what is usual"
                }.get(self.bound, rule)


def class_threshold(similarities: list[float], given: float | None = None, rule: Rule = RULE) -> Threshold:
    """The threshold for a class whose pairs have these similarities (or the given one, with its class's figures)."""
    median = statistics.median(similarities) if similarities else 0.0
    spread = MAD_TO_SD * statistics.median(abs(value - median) for value in similarities) if similarities else 0.0
    if given is not None:
        return Threshold(given, median, spread, given=True, rule=rule)
    if len(similarities) < rule.min_pairs:
        return Threshold(rule.ceiling, median, spread, "few pairs", rule=rule)
    value = median + rule.spreads * spread
    if value < rule.floor:
        return Threshold(rule.floor, median, spread, "floor", rule=rule)
    if value > rule.ceiling:
        return Threshold(rule.ceiling, median, spread, "ceiling", rule=rule)
    return Threshold(value, median, spread, rule=rule)
