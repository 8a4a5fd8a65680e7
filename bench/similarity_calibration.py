"""Similarity calibration (issue 22): how many pairs of independent solutions `grader similarity` flags (goal: at
most 1 in 50) and whether it flags every planted copy (goal: all), on the course's own test data.

Data: tests/fixtures/similarity/independent/ holds 24 solutions of the conv assignment written independently (by
different people who never saw each other's code, in 24 styles, each starting from the released stub);
tests/fixtures/similarity/planted/ holds 11 copies made from 9 of them, as cheating students make them (renamed
variables, reordered functions and loops, comments changed or stripped, whitespace, helpers inlined, statements
rearranged, half of the code taken; two copies of one solution make a ring of three), each named
``<original>__<disguise>.py``. A pair is planted when both are that original or copies of it.

What it prints (Markdown, for bench/RESULTS.md):

1. The whole class (24 + 11) and the 24 alone, with the shipped rule: pairs, flagged, planted caught, the
   threshold and the distribution of the other pairs' similarity.
2. Classes drawn from it: DRAWS random classes per size (6 to 20 independent solutions, with the planted copies
   of those drawn): the share of independent pairs flagged and the planted pairs caught, per size.
3. The rule's sensitivity: the drawn classes and the whole class under other constants (passages common from
   how many submissions, spreads, floor, ceiling, the class size below which the ceiling alone applies), the
   shipped row marked. The constants were chosen on this data
   (there is no other): the table shows how much the verdict depends on each.
4. Speed at the scale of a real class: SPEED submissions (the 35 files, repeated under other names: the repeats
   make thousands of identical pairs, the worst case), compared in this process by grader similarity's
   comparison and by copydetect (the implementation it replaced, as the peer), reading and tokenising included.

Run: .venv/bin/python bench/similarity_calibration.py [--draws 10] [--speed 300]   (copydetect: '.[bench]')
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from grader.similarity.compare import COMMON_AT_LEAST, compare
from grader.similarity.fingerprints import Code
from grader.similarity.stub import released_stub
from grader.similarity.threshold import RULE, Rule, class_threshold

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "similarity"
SIZES = (6, 8, 10, 12, 16, 20)
AT_LEAST = (3, 4, 5, 7)
RULES = [RULE, Rule(5, 0.5, 0.65), Rule(7, 0.5, 0.65), Rule(6, 0.4, 0.65), Rule(6, 0.45, 0.65), Rule(6, 0.55, 0.65),
         Rule(6, 0.5, 0.6), Rule(6, 0.5, 0.8), Rule(6, 0.5, 1.0), Rule(6, 0.5, 0.65, 0)]


def origin(name: str) -> str:
    return name.split("__")[0]


def planted(pair: tuple[str, str]) -> bool:
    return origin(pair[0]) == origin(pair[1])


@dataclass
class Tally:
    """Independent pairs and how many were flagged; planted pairs and how many were caught."""

    pairs: int = 0
    flagged: int = 0
    planted: int = 0
    caught: int = 0

    def add(self, similarities: dict[tuple[str, str], float], threshold: float) -> None:
        for pair, similarity in similarities.items():
            if planted(pair):
                self.planted += 1
                self.caught += similarity >= threshold
            else:
                self.pairs += 1
                self.flagged += similarity >= threshold

    def cells(self) -> str:
        rate = self.flagged / self.pairs if self.pairs else 0.0
        return f"{self.flagged} of {self.pairs} ({rate:.2%}) | {self.caught} of {self.planted}"


def similarities(codes: list[Code], stub: list[str], at_least: int) -> dict[tuple[str, str], float]:
    comparison = compare(codes, [], [], stub, at_least)
    return {(pair.first.code.name, pair.second.code.name): pair.similarity for pair in comparison.pairs}


def whole_class(codes: dict[str, Code], stub: list[str]) -> None:
    print("| class | submissions | pairs | independent pairs flagged | planted pairs caught | threshold | "
          "independent pairs: median, 90th, 99th percentile, highest | lowest planted |")
    print("| --- | ---: | ---: | --- | --- | --- | --- | --- |")
    for label, names in (("24 independent + 11 planted", sorted(codes)),
                         ("24 independent alone", sorted(name for name in codes if "__" not in name))):
        found = similarities([codes[name] for name in names], stub, COMMON_AT_LEAST)
        threshold = class_threshold(list(found.values()))
        tally = Tally()
        tally.add(found, threshold.value)
        others = sorted(value for pair, value in found.items() if not planted(pair))
        copies = [value for pair, value in found.items() if planted(pair)]
        spread = ", ".join(f"{100 * value:.0f} %" for value in (statistics.median(others), quantile(others, 0.9),
                                                                  quantile(others, 0.99), others[-1]))
        print(f"| {label} | {len(names)} | {len(found)} | {tally.cells()} | {100 * threshold.value:.0f} % "
              f"({threshold.reason()}) | {spread} | {f'{100 * min(copies):.0f} %' if copies else '-'} |")


def quantile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def drawn_classes(codes: dict[str, Code], draws: int) -> list[tuple[int, list[Code]]]:
    """DRAWS classes per size: that many independent solutions at random, and the planted copies of those."""
    chooser = random.Random(22)
    independent = sorted(name for name in codes if "__" not in name)
    classes = []
    for size, _ in itertools.product(SIZES, range(draws)):
        chosen = chooser.sample(independent, size)
        names = sorted(chosen + [name for name in codes if "__" in name and origin(name) in chosen])
        classes.append((size, [codes[name] for name in names]))
    return classes


def per_size(classes: list[tuple[int, list[Code]]], stub: list[str]) -> None:
    print("| independent solutions drawn | classes | independent pairs flagged | planted pairs caught |")
    print("| ---: | ---: | --- | --- |")
    for size in SIZES:
        tally = Tally()
        for _, class_codes in (entry for entry in classes if entry[0] == size):
            found = similarities(class_codes, stub, COMMON_AT_LEAST)
            tally.add(found, class_threshold(list(found.values())).value)
        print(f"| {size} | {sum(1 for entry in classes if entry[0] == size)} | {tally.cells()} |")


def sensitivity(classes: list[tuple[int, list[Code]]], codes: dict[str, Code], stub: list[str]) -> None:
    print("| common from more than | spreads | floor | ceiling | ceiling alone below | drawn classes: independent "
          "flagged | planted caught | whole class: independent flagged | planted caught |")
    print("| ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |")
    everyone = [codes[name] for name in sorted(codes)]
    for at_least in AT_LEAST:
        drawn = [similarities(class_codes, stub, at_least) for _, class_codes in classes]
        whole = similarities(everyone, stub, at_least)
        for rule in RULES:
            tallies = Tally(), Tally()
            for found in drawn:
                tallies[0].add(found, class_threshold(list(found.values()), rule=rule).value)
            tallies[1].add(whole, class_threshold(list(whole.values()), rule=rule).value)
            shipped = " **(shipped)**" if (at_least, rule) == (COMMON_AT_LEAST, RULE) else ""
            print(f"| max({at_least}, 20 %){shipped} | {rule.spreads:g} | {rule.floor:.2f} | {rule.ceiling:.2f} | "
                  f"{rule.min_pairs} pairs | {tallies[0].cells()} | {tallies[1].cells()} |")


def speed(codes: dict[str, Code], stub: list[str], count: int) -> None:
    """Seconds to compare COUNT submissions, ours against copydetect's, from the texts (tokenising included)."""
    texts = [(f"{name}-{copy}", codes[name].text) for copy in range(count // len(codes) + 1) for name in sorted(codes)]
    texts = texts[:count]
    started = time.perf_counter()
    comparison = compare([Code(name, text) for name, text in texts], [], [], stub)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    copydetect_pairs(texts, stub)
    theirs = time.perf_counter() - started
    print(f"{count} submissions, {len(comparison.pairs)} pairs: grader similarity "
          f"{ours:.1f} s, copydetect {theirs:.1f} s, ratio {ours / theirs:.2f} (load average before: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def copydetect_pairs(texts: list[tuple[str, str]], stub: list[str]) -> None:
    """Every pair compared as the replaced implementation did: copydetect's fingerprints, the stub's removed."""
    from copydetect import CodeFingerprint, compare_files

    boilerplate = sorted({value for text in stub for value in CodeFingerprint("stub.py", 25, 6,
                                                                            fp=io.StringIO(text)).hashes})
    prints = [CodeFingerprint(f"{name}.py", 25, 6, boilerplate=boilerplate, fp=io.StringIO(text))
              for name, text in texts]
    for first, second in itertools.combinations(prints, 2):
        compare_files(first, second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10, help="classes drawn per size (default 10)")
    parser.add_argument("--speed", type=int, default=300, help="submissions in the speed run (default 300; 0: skip)")
    args = parser.parse_args()
    stub = [code.text for code in released_stub("conv")]
    codes = {path.stem: Code(path.stem, path.read_text(encoding="utf-8"))
             for path in sorted(FIXTURES.glob("*/*.py"))}
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    whole_class(codes, stub)
    print()
    classes = drawn_classes(codes, args.draws)
    per_size(classes, stub)
    print()
    sensitivity(classes, codes, stub)
    if args.speed:
        print()
        speed(codes, stub, args.speed)


if __name__ == "__main__":
    main()
