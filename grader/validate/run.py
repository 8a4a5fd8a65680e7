"""One `grader validate` run: the course repository it looks at, how hard it looks, and what it produced."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from grader.oracles import OPTIONAL_MODULES, REQUIRED_MODULES, ReferenceOracle
from grader.release import out_of_sync
from grader.results import GradeReport

_LOADED = itertools.count()


@dataclass
class Run:
    """Settings shared by the properties, and what they share: the reports graded (for the schema property),
    the reference oracle and the release check, each computed once."""

    root: Path
    profile: str = "thorough"
    full: bool = False
    data_dir: Path | None = None
    reports: dict[str, list[GradeReport]] = field(default_factory=dict, init=False)
    _oracle: ReferenceOracle | None = field(default=None, init=False, repr=False)
    _release: list[str] | None = field(default=None, init=False, repr=False)

    def keep(self, assignment: str, report: GradeReport) -> GradeReport:
        """Remember a report, whose results.json the schema property validates."""
        self.reports.setdefault(assignment, []).append(report)
        return report

    def oracle(self) -> ReferenceOracle:
        """The oracle built from this repository's reference/, as official grading uses it."""
        if self._oracle is None:
            self._oracle = reference_oracle(self.root)
        return self._oracle

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
    required = [load_module(folder / f"{name}.py") for name in REQUIRED_MODULES]
    optional = {name: load_module(folder / f"{name}.py") for name in OPTIONAL_MODULES
                if (folder / f"{name}.py").is_file()}
    return ReferenceOracle(*required, **optional)


def load_module(path: Path) -> ModuleType:
    """Import a reference module from its file under a name of its own (two repositories' modules never clash)."""
    spec = importlib.util.spec_from_file_location(f"_validated_{path.stem}_{next(_LOADED)}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
