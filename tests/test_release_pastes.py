"""The student release solves nothing: pasted into a submission, no file of it earns a point a stub would not.
(An attack on what the grader ships, not on the sandbox: it lives here rather than in red_team/, whose tests run again
as an ordinary user; its submission is red_team/attacks/release/pastes_the_release.py.)

For each assignment and each of its names, one submission pastes every Python file of the student release (each as
the module it is, statement by statement: see attacks/release/pastes_the_release.py) and answers for that name with
each candidate the paste holds, one at a time, while the assignment's other names keep a correct solution. Each
candidate is graded by that name's checks with the official profile (no shrinking: a verdict does not depend on it),
beside a stub in the same place. None may earn more than the stub. The release's own notebooks hold the stubs' code
cells and no other code; its README and templates no code at all.

What the assignments' own texts spell out is public by design and needs no paste (the formulas in the checks' titles,
the lecture's worked examples and the famous networks' counts with their answers, LeNet-5's layer table): a file
restating them would be no finding, but no file here earns a point with them either, so the list of exceptions is
empty.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
from pathlib import Path, PurePosixPath

import pytest

from conftest import ROOT, SUBMISSIONS
from red_team.attacking import attack_text
from grader.checking import unrun
from grader.oracles import oracle_for
from grader.release.student import student_files
from grader.runner import run_checks
from grader.sandbox.process import Sandbox
from grader.settings import PROFILES, Settings
from grader.submission import load_submission
from grader.suites import get_suite, suite_module
from grader.suites.framework import Context

pytestmark = pytest.mark.slow
CORRECT = {"conv": "conv/correct_loops.py", "pool": "pool/correct_loops.py", "params": "params/correct_loops.py",
           "im2col": "im2col/correct_vectorised.py", "lenet": "lenet/correct_sequential.py", "train": "train/correct.py"}
# How many positional arguments the checks call each name with (LeNet5 and pick_device take none).
ARGUMENTS = {"conv_output_size": 2, "zero_pad": 2, "conv_forward": 4, "conv_backward": 2, "max_pool_forward": 2,
             "max_pool_backward": 2, "avg_pool_forward": 2, "avg_pool_backward": 2, "conv2d_param_count": 4,
             "linear_param_count": 3, "layer_output_shape": 2, "model_param_count": 2, "receptive_field": 1,
             "conv_multiplications": 2, "im2col": 5, "conv_forward_im2col": 4, "LeNet5": 0, "pick_device": 0,
             "fit": 4, "evaluate": 3}
SCREEN = dataclasses.replace(PROFILES["official"], shrink_examples=1)
SEED = 8_675_309  # stands for a seed drawn from a course secret: the paste cannot know it either way
NAMES = [(assignment, name) for assignment in CORRECT for name in get_suite(assignment).functions]


@pytest.fixture(scope="module")
def release_modules() -> list[list]:
    """The release's Python files as [module name, is a package, base64 source], each after what it imports."""
    sources = {module_name(path): data.decode() for path, data in student_files(ROOT).items() if path.suffix == ".py"}
    assert len(sources) > 90 and "grader.suites.lenet.model" not in sources
    ordered: list[str] = []

    def visit(name: str, seen: set[str]) -> None:
        if name in ordered or name in seen:
            return
        seen.add(name)
        for imported in imports(sources[name]):
            for depth in range(1, imported.count(".") + 2):
                parent = ".".join(imported.split(".")[:depth])
                if parent in sources:
                    visit(parent, seen)
        ordered.append(name)

    for name in sorted(sources):
        visit(name, set())
    return [[name, is_package(name, sources), base64.b64encode(sources[name].encode()).decode()] for name in ordered]


def module_name(path: PurePosixPath) -> str:
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(name: str, sources: dict[str, str]) -> bool:
    return any(other.startswith(name + ".") for other in sources)


def imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def screening(folder: Path, assignment: str, name: str, modules: list) -> Path:
    """The correct solution with the paste appended, answering for ``name`` with a chosen candidate."""
    folder.mkdir(parents=True)
    places = {"screened": name, "suite": suite_module(assignment).__name__, "arguments": ARGUMENTS[name],
              "modules": modules}
    path = folder / f"{assignment}.py"
    path.write_text((SUBMISSIONS / CORRECT[assignment]).read_text() + "\n\n" + attack_text("release",
                                                                                          "pastes_the_release.py", places))
    return path


def points(sandbox: Sandbox, assignment: str, name: str, choice: int | None) -> tuple[float, list[str]]:
    """What ``name``'s checks give the candidate ``choice`` (None: the stub in its place), official profile."""
    suite = get_suite(assignment)
    checks = [check for check in suite.checks if name in check.functions]
    if choice is not None:
        sandbox.call("_choose", choice)
    loaded = sandbox.load()
    context = Context(sandbox, oracle_for(suite, "pytorch"), Settings("official", seed=SEED, oracle="pytorch"))
    results = run_checks(checks, context, loaded, SCREEN, SEED) if loaded.failure is None else \
        [unrun(check, loaded.failure.message) for check in checks]
    return sum(r.score for r in results), [f"{r.name}: {r.score}" for r in results if r.score > 0]


@pytest.mark.parametrize("assignment, name", NAMES, ids=[f"{a}-{n}" for a, n in NAMES])
def test_no_file_of_the_student_release_pasted_in_earns_a_point(assignment: str, name: str, tmp_path: Path,
                                                                release_modules: list) -> None:
    path = screening(tmp_path / "sub", assignment, name, release_modules)
    with Sandbox(load_submission(path, assignment), get_suite(assignment).policy) as sandbox:
        loaded = sandbox.load()
        assert loaded.failure is None and loaded.names.get(name) == "function", loaded
        inventory = sandbox.call("_inventory").value
        stub, _ = points(sandbox, assignment, name, None)
        assert stub == 0
        gains = {}
        for choice, label in enumerate(inventory):
            score, scored = points(sandbox, assignment, name, choice)
            if score > stub or scored:
                gains[label] = scored
    assert not gains, f"pasted from the student release, these earn {name} points: {gains}"
