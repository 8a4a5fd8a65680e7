"""The outcome of grading one submission, and its Gradescope ``results.json`` form (a contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
import textwrap
from typing import Any

from grader.sandbox.printable import printable_data

PASSED, FAILED, TIMED_OUT, CRASHED, NOT_GRADABLE = "passed", "failed", "timed out", "crashed", "not gradable here"
# A check that could not grade the student's function because code it relies on (their own forward) failed on every
# input: it earns nothing, but it is not a failure of the function it grades.
NOT_GRADED = "not graded"


@dataclass
class CheckResult:
    """One check's verdict, with the evidence a student needs to fix a failure."""

    name: str
    title: str
    functions: tuple[str, ...]
    max_score: float
    score: float
    status: str
    message: str = ""
    counterexample: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    examples_run: int = 0
    seconds: float = 0.0
    visibility: str = "visible"
    notes: list[str] = field(default_factory=list)
    diagnosis: str = ""
    inputs: str = ""  # digest of the inputs the check was given: equal digests, equal inputs

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def feedback(self) -> str:
        """The text a student reads for this check: the reason, the smallest failing input, their output."""
        if self.status == NOT_GRADABLE:
            return f"Not gradable here: {self.message}. This check neither adds nor removes points."
        if self.passed:
            return "\n".join([f"Passed on {self.examples_run} inputs."] + self.notes)
        lines = [self.message] + ([f"Likely cause: {self.diagnosis}"] if self.diagnosis else []) + self.notes
        if self.counterexample:
            lines.append(f"Smallest failing input: {self.counterexample['description']}")
            arrays, shapes = self.counterexample.get("arrays", {}), self.counterexample.get("shapes", {})
            for name in shapes or arrays:
                text = (format_named(name, arrays[name]) if name in arrays else
                        f"{name}: shape {tuple(shapes[name])}, too large to show here")
                lines.append(textwrap.indent(text, "  "))
        if "expected" in self.details and "actual" in self.details:
            lines.append(textwrap.indent(format_named("expected", self.details["expected"]), "  "))
            lines.append(textwrap.indent(format_named("got     ", self.details["actual"]), "  "))
        if "gradient_errors" in self.details:
            lines.append("  largest error of each gradient:   vs autograd      vs central differences")
            for row in self.details["gradient_errors"]:
                lines.append(f"    {row['gradient']:<31}{_number(row['vs_autograd']):<16} {_number(row['vs_numeric'])}")
        if "your_layers" in self.details:
            lines.append(layer_tables(self.details["your_layers"], self.details["expected_layers"]))
        if self.details.get("traceback"):
            lines.append("Traceback (your code):\n" + self.details["traceback"].rstrip())
        if self.output.strip():
            lines.append("Your code printed:\n" + self.output.rstrip())
        return "\n".join(lines)


@dataclass
class GradeReport:
    """Every check's result for one submission, and how it was graded."""

    assignment: str
    submission: str
    profile: str
    seed: int
    oracle: str
    sandbox: str
    results: list[CheckResult]
    load_messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def all_passed(self) -> bool:
        return all(r.passed or r.status == NOT_GRADABLE for r in self.results)

    def summary(self) -> str:
        """One honest line: how many checks ran and passed, which could not run here, in which profile."""
        graded = [r for r in self.results if r.status != NOT_GRADABLE]
        passed = sum(r.passed for r in graded)
        waiting = sum(r.status == NOT_GRADED for r in graded)
        failed = len(graded) - passed - waiting
        counts = [f"{n} {what}" for n, what in ((failed, "failed"), (waiting, "not graded")) if n]
        verdict = "no check could be graded" if not graded else ", ".join(counts) or "all passed"
        skipped = len(self.results) - len(graded)
        unrun = f", {skipped} not gradable here" if skipped else ""
        return (f"{self.assignment}: {self.score:g}/{self.max_score:g} points; {passed} of {len(graded)} checks "
                f"passed ({verdict}{unrun}), {self.profile} profile, seed {self.seed}")

    def _repr_html_(self) -> str:
        """Jupyter shows a report as the HTML report (``grader.check`` in a notebook)."""
        from grader.reports.html import render_html

        return render_html(self)

    def to_gradescope(self) -> dict[str, Any]:
        """A results.json that Gradescope accepts; everything else goes under ``extra_data``; every string printable
        (no control character from student code reaches a terminal that shows it)."""
        output = [self.summary()] + [f"Loading your code: {m}" for m in self.load_messages]
        return printable_data({
            "score": round(self.score, 4),
            "execution_time": round(self.seconds, 3),
            "output": "\n".join(output),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": r.title,
                    "number": str(i),
                    "score": r.score,
                    "max_score": r.max_score,
                    "status": "passed" if r.passed or r.status == NOT_GRADABLE else "failed",
                    "output": r.feedback(),
                    "tags": list(r.functions),
                    "visibility": r.visibility,
                    "extra_data": {"check": r.name, "status": r.status, "diagnosis": r.diagnosis,
                                   "examples_run": r.examples_run, "inputs": r.inputs,
                                   "seconds": round(r.seconds, 3), "counterexample": r.counterexample,
                                   "details": r.details},
                }
                for i, r in enumerate(self.results, start=1)
            ],
            "extra_data": {
                "assignment": self.assignment,
                "submission": self.submission,
                "profile": self.profile,
                "seed": self.seed,
                "oracle": self.oracle,
                "sandbox": self.sandbox,
                "load_messages": self.load_messages,
                "timings": {r.name: round(r.seconds, 3) for r in self.results},
            },
        })


def _number(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def format_named(name: str, values: list) -> str:
    """``name = array`` printed the way numpy prints it, continuation lines aligned under the first."""
    import numpy as np

    lead = f"{name} = "
    text = np.array2string(np.asarray(values), separator=", ", threshold=64, prefix=lead)
    return lead + "\n".join(line for line in text.splitlines() if line.strip())


def layer_tables(yours: list[dict], expected: list[dict]) -> str:
    """The student's layers next to the expected ones: type, output shape, parameters (like model.summary())."""
    def cells(row: dict | None) -> str:
        return f"{row['layer']:<10} {str(tuple(row['output_shape'])):<14} {row['parameters']:>7,}" if row else " " * 33

    lines = [f"  {'your layers':<33}   {'expected layers':<33}"]
    for index in range(max(len(yours), len(expected))):
        mine = yours[index] if index < len(yours) else None
        theirs = expected[index] if index < len(expected) else None
        lines.append(f"  {cells(mine)}   {cells(theirs)}")
    return "\n".join(lines)
