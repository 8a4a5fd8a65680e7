"""How a grading run grades: the profile (how hard to look), the seed, the oracle, the MNIST folder and the time
budget. Chosen once (by the CLI, a batch, ``grader validate``, a notebook's ``grader.check``) and handed down
unchanged to the runner and, through the check context, to the checks that need it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Profile:
    """How hard to look: the quick profile for students' local checks, thorough for the official grade."""

    name: str
    max_examples: int
    seed: int
    shrink_examples: int
    budget_seconds: float  # wall-clock time one submission's checks may take in all (a suite may add its own)


PROFILES = {
    "quick": Profile("quick", max_examples=25, seed=0, shrink_examples=60, budget_seconds=300),
    "thorough": Profile("thorough", max_examples=150, seed=20261, shrink_examples=300, budget_seconds=1800),
}


@dataclass(frozen=True)
class Settings:
    """One grading run's choices; picklable, so a batch ships it to its workers with each job."""

    profile: str = "quick"
    seed: int | None = None  # None: the profile's own
    oracle: str = "auto"  # "reference", "pytorch", or "auto": the reference when it is installed
    data_dir: Path | None = None  # MNIST IDX files, for the assignments that read them (None: the usual places)
    budget_seconds: float | None = None  # all checks of one submission (None: the profile's, plus the suite's)

    @property
    def chosen(self) -> Profile:
        return PROFILES[self.profile]

    @property
    def seed_in_force(self) -> int:
        """The seed the run uses: the one given, else the profile's."""
        return self.chosen.seed if self.seed is None else self.seed
