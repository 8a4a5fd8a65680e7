"""The red-team suite's helpers: attack submissions, grading them, and proof that nothing outside changed.

An attack is a file under ``attacks/<assignment>/``: definitions appended to a correct solution (so the
functions it leaves alone must still get full marks), or a whole notebook. Its line
``PLACES = json.loads(r'''@PLACES@''')`` receives what an attacker would aim at: a sentinel folder outside
the submission, the repository, the MNIST data, the real $HOME, a token to name its files and processes.

Every test runs inside ``world``: it builds the sentinels, hashes part of the repository, and afterwards
checks that none of it changed, that no file named with the token appeared, and that the grader still
grades a correct submission.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest

from grader.results import GradeReport
from grader.runner import grade_submission
from grader.sandbox.cgroups import totals_held
from grader.settings import Settings
from grader.submission import load_submission
from grader.suites import get_suite

HERE = Path(__file__).parent
ATTACKS = HERE / "attacks"
ROOT = HERE.parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
MNIST = ROOT.parent / "shared" / "data" / "mnist"
WATCHED = [ROOT / relative for relative in (  # files the attacks aim at
    "reference/params.py", "reference/pool.py", "reference/conv.py", "grader/compare.py", "grader/runner.py",
    "grader/suites/params/__init__.py", "tests/fixtures/submissions/params/correct_loops.py")]


def tree_state(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Each file and folder under ``folder`` (itself included): its mode, its status change time (which no
    process can set back), and its content's digest for files."""
    state = {}
    for path in [folder, *sorted(folder.rglob("*"))] if folder.exists() else []:
        info = path.lstat()
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(info.st_mode) else ""
        except OSError as error:  # a file this user may not read: its status still shows a change
            digest = type(error).__name__
        state[str(path.relative_to(folder))] = (info.st_mode, info.st_ctime_ns, digest)
    return state


def digests(paths: Iterable[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "missing" for p in paths}


@dataclasses.dataclass
class World:
    """What the test owns outside the submission, as it was before the attack."""

    token: str
    outside: Path
    loose: list[Path]  # files an attack may try to create where it should not reach
    before: dict

    def places(self, **extra: object) -> dict[str, object]:
        return {"token": self.token, "outside": str(self.outside), "root": str(ROOT), "mnist": str(MNIST),
                "home": os.path.expanduser("~"), "tmp": tempfile.gettempdir(),
                "loose": [str(p) for p in self.loose], **extra}

    def state(self) -> dict:
        return {"outside": tree_state(self.outside), "repo": digests(WATCHED), "mnist": tree_state(MNIST),
                "loose": [str(p) for p in self.loose if p.exists() or p.is_symlink()]}


@pytest.fixture(autouse=True)
def world(tmp_path: Path):
    """Sentinels outside the submission; afterwards, proof that they, the repository and the grader are intact."""
    outside = tmp_path / "outside"
    (outside / "other-student").mkdir(parents=True)
    (outside / "sentinel.txt").write_text("an instructor's file\n")
    (outside / "other-student" / "results.json").write_text('{"score": 3.0}\n')
    token = secrets.token_hex(4)
    loose = [Path(tempfile.gettempdir()) / f"red-team-{token}.json", ROOT / f"red-team-{token}.json",
             Path(os.path.expanduser("~")) / f"red-team-{token}.json", MNIST / f"red-team-{token}"]
    the_world = World(token, outside, loose, {})
    the_world.before = the_world.state()
    yield the_world
    after = the_world.state()
    for path in map(Path, after["loose"]):  # never leave an attack's litter behind, even when the test fails
        path.unlink(missing_ok=True)
    leftovers = processes_named(token)
    for pid in leftovers:
        kill(pid)
    assert after == the_world.before, "the attack changed something outside its scratch folder"
    assert not leftovers, f"processes the attack started outlived the grading: {leftovers}"
    assert grader_still_grades(), "after the attack, the grader no longer grades a correct submission"


def grade_correct_params() -> GradeReport:
    """A correct params submission graded on one quick check."""
    submission = load_submission(FIXTURES / "params" / "correct_loops.py", "params")
    return grade_submission("params", submission, only=lambda check: check.name == "linear_count")


def grader_still_grades() -> bool:
    """Whether a correct params submission still passes a quick check."""
    report = grade_correct_params()
    return len(report.results) == 1 and report.results[0].passed


def attack_text(assignment: str, name: str, places: dict[str, object]) -> str:
    text = (ATTACKS / assignment / name).read_text()
    assert "@PLACES@" not in json.dumps(places)
    return text.replace("@PLACES@", json.dumps(places))


def build(folder: Path, assignment: str, name: str, places: dict[str, object],
          base: str | None = "correct_loops.py") -> Path:
    """The submission folder ``folder`` holding ``<assignment>.py`` (a correct ``base`` followed by the attack)
    or, for a notebook attack, ``<assignment>.ipynb``; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    text = attack_text(assignment, name, places)
    if name.endswith(".ipynb"):
        path = folder / f"{assignment}.ipynb"
    else:
        path = folder / f"{assignment}.py"
        text = ((FIXTURES / assignment / base).read_text() + "\n\n" if base else "") + text
    path.write_text(text)
    return path


def every_function(assignment: str) -> set[str]:
    """Every function an assignment grades: what an attack that stops the whole submission reaches."""
    return set(get_suite(assignment).functions)


def selected(assignment: str, functions: Iterable[str] | None) -> list:
    """The suite's checks that exercise any of ``functions`` (all checks when None)."""
    wanted = set(functions) if functions is not None else None
    return [c for c in get_suite(assignment).checks if wanted is None or wanted & set(c.functions)]


def grade_attack(path: Path, assignment: str, functions: Iterable[str] | None = None) -> GradeReport:
    """Grade the submission at ``path`` with the quick profile, only the checks of ``functions`` if given."""
    names = {check.name for check in selected(assignment, functions)}
    return grade_submission(assignment, load_submission(path, assignment), Settings("quick"),
                            only=lambda check: check.name in names)


def assert_contained(report: GradeReport, attacked: Iterable[str], functions: Iterable[str] | None = None) -> None:
    """Every selected check has exactly one result; those exercising an attacked function scored nothing;
    every other one (functions the attack left alone) passed with full marks."""
    attacked = set(attacked)
    expected = [check.name for check in selected(report.assignment, functions)]
    assert [r.name for r in report.results] == expected, "a check is missing or graded twice"
    for result in report.results:
        if attacked & set(result.functions):
            assert result.score == 0 and not result.passed, f"{result.name} scored {result.score} under attack"
        else:
            assert result.passed and result.score == result.max_score, \
                f"{result.name} (untouched by the attack) did not pass: {result.message}"


def messages(report: GradeReport, function: str) -> list[str]:
    return [r.message for r in report.results if function in r.functions]


def output(report: GradeReport) -> str:
    """Everything the submission printed: while it loaded, then in each check."""
    return "\n".join([report.load_output] + [r.output for r in report.results])


def allowing_processes() -> None:
    """Skip unless a policy that lets children start processes is honoured here: only where cgroups total what
    they use (as root on this course machine; as an ordinary user, where a cgroup is delegated to that user)."""
    if not totals_held():
        pytest.skip("no cgroups delegated to this user: every child is one process, whatever its policy")


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Let one assignment's children start processes in this test (skipped where that is not honoured)."""

    def allow(assignment: str) -> None:
        allowing_processes()
        suite = get_suite(assignment)
        monkeypatch.setattr(suite, "policy", dataclasses.replace(suite.policy, subprocesses=True))

    return allow


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Tighter limits for one assignment's sandbox in this test: ``limits("params", call_seconds=2)``.

    A hang then costs 2 s instead of 10; the grader's own limits are tested elsewhere.
    """

    def tighten(assignment: str, **changes: float) -> None:
        suite = get_suite(assignment)
        policy = suite.policy
        monkeypatch.setattr(suite, "policy", dataclasses.replace(
            policy, limits=dataclasses.replace(policy.limits, **changes)))

    return tighten


def processes_named(token: str) -> list[int]:
    """Processes whose name (``/proc/PID/comm``, set by an attack with PR_SET_NAME) contains ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token in (entry / "comm").read_text():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def kill(pid: int) -> None:
    """Kill one process an attack left running (found by its token), by its id."""
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def landlock_abi(level: str) -> int:
    """The Landlock ABI a sandbox level names (``... Landlock ABI 7 ...``), or 0."""
    match = re.search(r"landlock[^0-9]*abi\s*(\d+)", level, re.IGNORECASE)
    return int(match.group(1)) if match else 0


def signals_confined(level: str) -> bool:
    """Whether the sandbox keeps a child's signals inside it: Landlock's signal scope (ABI 6+) or its own user."""
    return landlock_abi(level) >= 6 or "own user" in level


SUBPROCESS_GRADER = """
import dataclasses, json, sys
from pathlib import Path
from grader.runner import grade_submission
from grader.settings import Settings
from grader.submission import load_submission
from grader.suites import get_suite

assignment, path, functions = sys.argv[1], Path(sys.argv[2]), set(json.loads(sys.argv[3]))
suite = get_suite(assignment)
suite.policy = dataclasses.replace(suite.policy, **json.loads(sys.argv[4]))
names = {c.name for c in get_suite(assignment).checks if not functions or functions & set(c.functions)}
report = grade_submission(assignment, load_submission(path, assignment), Settings("quick"), only=lambda c: c.name in names)
print(json.dumps({"sandbox": report.sandbox, "results": [
    {"name": r.name, "functions": list(r.functions), "status": r.status, "score": r.score,
     "max_score": r.max_score, "message": r.message, "output": r.output} for r in report.results]}))
"""


def grader_process(path: Path, assignment: str, functions: Iterable[str] = (), **policy: object) -> subprocess.Popen:
    """A grader in its own process (and session), for attacks aimed at the grader process itself, with the suite's
    policy changed by ``policy``; its standard output will be the report as JSON."""
    return subprocess.Popen([sys.executable, "-c", SUBPROCESS_GRADER, assignment, str(path),
                             json.dumps(sorted(functions)), json.dumps(policy)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def grade_in_a_process(path: Path, assignment: str, functions: Iterable[str] = ()) -> dict:
    """Grade in a grader process of its own; fails the test unless that process finished and reported."""
    process = grader_process(path, assignment, functions)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, f"the grader process ended with {process.returncode}: {stderr[-2000:]}"
    return json.loads(stdout)
