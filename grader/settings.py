"""How a grading run grades: the profile (how hard to look), the seed, the oracle, the MNIST folder, the time
budget and the repair hints. Chosen once (by the CLI, a batch, ``grader validate``, a notebook's ``grader.check``) and handed down
unchanged to the runner and, through the check context, to the checks that need it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Profile:
    """How hard to look: quick for students' local checks, thorough for more inputs (both with public seeds), and
    official for the grade, with thorough's inputs drawn from a seed no one can know in advance."""

    name: str
    max_examples: int
    seed: int | None  # None: drawn per submission from the course secret (grader.official)
    shrink_examples: int
    min_graded: int  # drawn inputs (fixed examples do not count) a check must grade to earn points
    budget_seconds: float  # wall-clock time one submission's checks may take in all (a suite may add its own)


PROFILES = {
    "quick": Profile("quick", max_examples=25, seed=0, shrink_examples=60, min_graded=5, budget_seconds=300),
    "thorough": Profile("thorough", max_examples=150, seed=20261, shrink_examples=300, min_graded=10,
                        budget_seconds=1800),
    "official": Profile("official", max_examples=150, seed=None, shrink_examples=300, min_graded=10,
                        budget_seconds=1800),
}


@dataclass(frozen=True)
class Settings:
    """One grading run's choices; picklable, so a batch ships it to its workers with each job."""

    profile: str = "quick"
    seed: int | None = None  # None: the profile's own
    oracle: str = "auto"  # "reference", "pytorch", or "auto": the reference when it is installed
    data_dir: Path | None = None  # MNIST IDX files, for the assignments that read them (None: the usual places)
    budget_seconds: float | None = None  # all checks of one submission (None: the profile's, plus the suite's)
    hints: str = "off"  # repairs of failed functions: off, line, diff or full (grader.repair); entry points: hint_level()
    repair_seconds: float = 20.0  # the repair search's time for one failed function (within the submission's budget)

    @property
    def chosen(self) -> Profile:
        return PROFILES[self.profile]

    @property
    def official(self) -> bool:
        """Whether this is the official grade, whose seed came from the course secret (or replays one that did)."""
        return self.chosen.seed is None

    @property
    def seed_in_force(self) -> int:
        """The seed the run uses: the one given, else the profile's (the official profile has none of its own)."""
        if self.seed is not None:
            return self.seed
        if self.chosen.seed is None:
            raise ValueError("the official profile's seed is drawn per submission from the course secret "
                             "(grader.official.official_seed): give it as Settings(seed=...)")
        return self.chosen.seed


class Unusable(Exception):
    """These settings cannot grade this assignment on this install (the message says why and what to do): a usage
    error of the command that chose them."""


def hint_level(given: str | None = None) -> str:
    """The hint level of a student-facing run: the one given, else the course's ``$GRADER_HINTS``, else "line" (the
    line and the kind of change). Library callers of ``Settings`` get no repair search unless they ask."""
    return given or os.environ.get("GRADER_HINTS") or "line"
