"""One `grader validate` run: the course repository it looks at, how hard it looks, and what it produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.oracles import OPTIONAL_MODULES, REQUIRED_MODULES, ReferenceOracle, TorchOracle, load_reference
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
        """The assignment's oracle built from this repository's reference/, as official grading uses it."""
        suite = get_suite(assignment)
        key = assignment if suite.oracles else ""  # the built-in assignments share one ReferenceOracle
        if key not in self._oracles:
            self._oracles[key] = (suite.oracles.reference(load_reference(self.root / "reference" / f"{assignment}.py"))
                                  if suite.oracles else reference_oracle(self.root))
        return self._oracles[key]

    def pytorch_oracle(self, assignment: str) -> Any:
        """The assignment's PyTorch oracle, as students' local checks use it."""
        suite = get_suite(assignment)
        return suite.oracles.pytorch() if suite.oracles else TorchOracle()

    def release_problems(self) -> list[str]:
        """What differs between assignments/ and what `grader release` would write (one line each)."""
        if self._release is None:
            self._release = out_of_sync(self.root)
        return self._release


def reference_oracle(root: Path) -> ReferenceOracle:
    """A ReferenceOracle of ``root/reference/*.py``, loaded by path, so that any copy of the course can be validated;
    the optional modules may be missing (PyTorch stands in), the required ones may not."""
    folder = root / "reference"
    missing = [f"{name}.py" for name in REQUIRED_MODULES if not (folder / f"{name}.py").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}, which the reference oracle needs: restore "
                                f"{'it' if len(missing) == 1 else 'them'}, or name the course repository with --root")
    required = [load_reference(folder / f"{name}.py") for name in REQUIRED_MODULES]
    optional = {name: load_reference(folder / f"{name}.py") for name in OPTIONAL_MODULES
                if (folder / f"{name}.py").is_file()}
    return ReferenceOracle(*required, **optional)
