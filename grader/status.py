"""The one vocabulary of how grading ends: every check, every function and every submission ends in one of these
statuses, and every surface (the terminal, the reports, results.json, the gradebook, the class summary, the notebook)
shows its word. The README lists them once (Statuses); nothing else defines a status word.

A function's status is derived from its checks', a submission's from its functions' and its load (``combined``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Iterable


class Status(StrEnum):
    """How a check, a function or a submission ended; the value is the word every surface shows."""

    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    NOT_GRADED = "not graded"
    NOT_GRADABLE = "not gradable here"
    DID_NOT_LOAD = "did not load"
    GRADER_ERROR = "grader error"

    @property
    def meaning(self) -> str:
        """What the status means, in one line (the README's table says the same)."""
        return MEANINGS[self]

    @property
    def gradescope(self) -> str:
        """Gradescope's per-test ``status``, which its schema allows only as passed or failed: a check that cannot run
        here costs nothing, so it is not a failure."""
        return "passed" if self in (Status.PASSED, Status.NOT_GRADABLE) else "failed"


MEANINGS = {
    Status.PASSED: "graded, and right on every input it was given",
    Status.FAILED: "graded, and wrong on an input (a value, shape or dtype, an exception, an input modified, a "
                   "function missing)",
    Status.TIMED_OUT: "student code ran past its time limit (one call's, or the submission's time budget) before "
                      "grading was done",
    Status.CRASHED: "student code killed its process (a segfault, the memory limit, os._exit) before grading was done",
    Status.NOT_GRADED: "too few inputs could be graded because code it relies on (the student's own forward) failed "
                       "first: it earns nothing, but it is not a failure of its own",
    Status.NOT_GRADABLE: "cannot run on this machine (the GPU check without CUDA): it neither adds nor removes points",
    Status.DID_NOT_LOAD: "a submission only: its code could not be read or loaded (a syntax error, a failed "
                         "import, a corrupt zip), so no check could run",
    Status.GRADER_ERROR: "a submission only: the grader itself failed, so there is no score and no verdict on the "
                         "code; a batch run again retries it",
}

SUBMISSION_ONLY = frozenset({Status.DID_NOT_LOAD, Status.GRADER_ERROR})  # no check of the submission ran
# The first of these that any part has is the whole's status: a hang or a crash says more than the failures it
# caused, a failure more than what could not be graded, and "passed" needs every part that ran here to pass.
WORST_FIRST = (Status.GRADER_ERROR, Status.DID_NOT_LOAD, Status.TIMED_OUT, Status.CRASHED, Status.FAILED,
               Status.NOT_GRADED, Status.PASSED, Status.NOT_GRADABLE)


def combined(parts: Iterable[Status]) -> Status:
    """The status of a function from its checks', or of a submission from its functions': the worst part's status
    (``WORST_FIRST``), so failed if any part failed, passed only if every part that could run here passed, not
    gradable here only if none could; not graded when there are no parts at all."""
    found = set(parts)
    return next((status for status in WORST_FIRST if status in found), Status.NOT_GRADED)


def submission_status(loaded: bool, functions: Iterable[Status]) -> Status:
    """A submission's status: did not load when its code did not, else its functions' combined."""
    return combined(functions) if loaded else Status.DID_NOT_LOAD


def in_words(status: Status, detail: str = "") -> str:
    """The status word and, where it helps, its detail: "failed", "timed out in conv_forward"."""
    return f"{status} {detail}" if detail else str(status)
