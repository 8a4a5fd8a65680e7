"""One `grader validate` run: the course repository it looks at, how hard it looks, and what it produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.oracles import load_reference
from grader.release import out_of_sync
from grader.results import GradeReport
from grader.settings import Settings
from grader.suites import get_suite


@dataclass
class Run:
    """Settings shared by the properties, and what they share: the reports graded (for the schema property),
    the reference oracle and the release check, each computed once."""

    root: Path
    profile: str = "thorough"
    full: bool = False
    data_dir: Path | None = None
    reports: dict[str, list[GradeReport]] = field(default_factory=dict, init=False)
    _oracles: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _release: list[str] | None = field(default=None, init=False, repr=False)

    def settings(self, profile: str) -> Settings:
        """How validate grades a file: with ``profile``, against the PyTorch oracle (so a wrong reference fails)."""
        return Settings(profile=profile, oracle="pytorch", data_dir=self.data_dir)

    def keep(self, assignment: str, report: GradeReport) -> GradeReport:
        """Remember a report, whose results.json the schema property validates."""
        self.reports.setdefault(assignment, []).append(report)
        return report

    def oracle(self, assignment: str) -> Any:
        """The assignment's oracle built from this repository's reference/<assignment>.py, as official grading
        uses it."""
        if assignment not in self._oracles:
            path = self.root / "reference" / f"{assignment}.py"
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing, and the reference oracle needs it: restore it, or name the "
                                        "course repository with --root")
            self._oracles[assignment] = get_suite(assignment).oracles.reference(load_reference(path))
        return self._oracles[assignment]

    def pytorch_oracle(self, assignment: str) -> Any:
        """The assignment's PyTorch oracle, as students' local checks use it."""
        return get_suite(assignment).oracles.pytorch()

    def release_problems(self) -> list[str]:
        """What differs between assignments/ and what `grader release` would write (one line each)."""
        if self._release is None:
            self._release = out_of_sync(self.root)
        return self._release
