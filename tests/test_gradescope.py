"""Gradescope: results.json in a fake /autograder tree (graded, unreadable, grader crash) and the upload zip."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import (EXAMPLE_VERDICTS, EXAMPLES, GRADER_COMMANDS, ROOT, SUBMISSIONS, code_text, shared,
                      solution_passages, verdicts)
from grader import gradescope
from grader.evidence import SpeedFigures
from grader.batch.records import content_digest
from grader.gradescope import build_autograder_zip, run_gradescope
from grader.official import official_seed

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it


SECRET = b"the course secret the zip carries"


def autograder_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A fake /autograder: submission/ holding ``files`` (name -> text), source/ with the course secret and no
    results/ yet."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").mkdir()
    (root / "source" / "secret").write_bytes(SECRET + b"\n")
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    return root


def valid_results(root: Path, returned: dict[str, Any]) -> dict[str, Any]:
    """The results.json written under ``root``, checked against the schema and against what was returned."""
    written = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(written, json.loads(shared("schemas/gradescope_results.schema.json").read_text()))
    assert written == returned
    assert written["stdout_visibility"] == "hidden"
    assert not list((root / "results").glob(".*.tmp")), "the atomic write left its temporary file"
    return written


def test_a_correct_submission_gets_full_score(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path, {"pool.py": (SUBMISSIONS / "pool" / "correct_loops.py").read_text()})
    results = valid_results(root, run_gradescope("pool", root, profile="quick"))
    assert results["tests"] and all(test["status"] == "passed" for test in results["tests"])
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0
    assert {test["visibility"] for test in results["tests"]} <= {"hidden", "after_due_date", "after_published",
                                                                 "visible"}


@pytest.mark.parametrize("files, reason", [
    ({"notes.txt": "I ran out of time"}, "no .py or .ipynb file"),
    ({"pool.py": "def max_pool_forward(x, pool_param:\n    pass\n"}, "SyntaxError"),
], ids=["no-code", "syntax-error"])
def test_a_broken_submission_scores_zero_with_the_reason(tmp_path: Path, files: dict[str, str], reason: str) -> None:
    root = autograder_tree(tmp_path, files)
    results = valid_results(root, run_gradescope("pool", root, profile="quick"))
    assert results["score"] == 0 and results["tests"]
    assert all(test["status"] == "failed" and test["score"] == 0 for test in results["tests"])
    assert reason in results["output"] + "".join(test["output"] for test in results["tests"])
    assert "contact the course staff" not in results["output"]


def test_a_grader_crash_still_writes_results_that_do_not_blame_the_student(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("oracle exploded")

    monkeypatch.setattr(gradescope, "grade", crash)
    root = autograder_tree(tmp_path, {"pool.py": (SUBMISSIONS / "pool" / "correct_loops.py").read_text()})
    results = valid_results(root, run_gradescope("pool", root))
    assert results["score"] == 0
    assert "autograder itself failed" in results["output"] and "contact the course staff" in results["output"]
    assert "RuntimeError: oracle exploded" in results["extra_data"]["traceback"]
    assert "oracle exploded" not in results["output"]


def test_non_finite_numbers_are_written_as_strict_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = gradescope.grade

    def with_nan(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        report.results[0].evidence.append(SpeedFigures(float("nan"), 1.0, float("inf"), 25.0, 5))
        return report

    monkeypatch.setattr(gradescope, "grade", with_nan)
    root = autograder_tree(tmp_path, {"notes.txt": "nothing"})
    results = valid_results(root, run_gradescope("pool", root, profile="quick"))
    details = results["tests"][0]["extra_data"]["details"]
    assert (details["seconds"], details["ratio"]) == ("nan", "inf")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_autograder_zip("pool", ROOT, tmp_path_factory.mktemp("zip") / "autograder.zip", SECRET)


def test_the_zip_holds_the_scripts_and_the_installable_grader_only(built: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        runner = archive.getinfo("run_autograder")
        run_text = archive.read("run_autograder").decode()
        setup_text = archive.read("setup.sh").decode()
    assert names == sorted(names)
    assert {"setup.sh", "run_autograder", "pyproject.toml", "README.md", "grader/cli.py",
            "grader/gradescope.py", "grader/sandbox/child/child_main.py", "grader/templates/report.html.j2"} <= set(names)
    assert not [name for name in names if name.split("/")[0] in {"tests", "assignments", ".venv", "out", ".git",
                                                                 "reference", "templates"}
                or "__pycache__" in name or name.endswith(".pyc")]
    assert stat.S_IMODE(runner.external_attr >> 16) & 0o111 == 0o111 and stat.S_ISREG(runner.external_attr >> 16)
    assert run_text.startswith("#!/usr/bin/env bash\n") and '/venv/bin/grader" gradescope pool' in run_text
    assert 'TORCH_INDEX="${TORCH_INDEX-https://download.pytorch.org/whl/cpu}"' in setup_text
    assert '--index-url "$TORCH_INDEX"} torch==2.13.0' in setup_text and "constraints.txt" in setup_text


def test_the_zip_carries_the_course_secret_for_root_alone(built: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        secret = archive.getinfo("secret")
        assert archive.read("secret") == SECRET + b"\n"
        setup_text = archive.read("setup.sh").decode()
    assert stat.S_IMODE(secret.external_attr >> 16) == 0o600
    assert 'chmod 600 "$ROOT/source/secret"' in setup_text


def test_the_official_grade_draws_its_seed_from_the_zips_secret_and_the_submission(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path, {"pool.py": (SUBMISSIONS / "pool" / "correct_loops.py").read_text()})
    results = valid_results(root, run_gradescope("pool", root))
    assert results["extra_data"]["profile"] == "official" and results["score"] > 0
    assert results["extra_data"]["seed"] == official_seed(SECRET, "pool", content_digest((root / "submission",)))


def test_the_zip_holds_no_solution_text(built: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        text = code_text("\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist()))
    assert [passage for passage in solution_passages() if passage in text] == []
    pool = code_text((ROOT / "reference" / "pool.py").read_text())
    assert sum(passage in pool for passage in solution_passages()) > 20  # it finds a solution where there is one


def test_run_autograder_leaves_valid_results_when_the_grader_cannot_start(built: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        script = archive.read("run_autograder").decode().replace("/autograder", str(tmp_path / "autograder"))
    (tmp_path / "run_autograder").write_text(script)
    subprocess.run(["bash", str(tmp_path / "run_autograder")], check=True, capture_output=True)
    written = json.loads((tmp_path / "autograder" / "results" / "results.json").read_text())
    jsonschema.validate(written, json.loads(shared("schemas/gradescope_results.schema.json").read_text()))
    assert written["score"] == 0 and "contact the course staff" in written["output"]


def test_the_zip_is_byte_identical_when_built_twice(built: Path, tmp_path: Path) -> None:
    again = build_autograder_zip("pool", ROOT, tmp_path / "again.zip", SECRET)
    assert again.read_bytes() == built.read_bytes()
    with zipfile.ZipFile(again) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_zip_needs_a_known_assignment_and_a_course_repository(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown assignment 'poll'"):
        build_autograder_zip("poll", ROOT, tmp_path / "a.zip", SECRET)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with pytest.raises(FileNotFoundError, match="lacks README.md, grader"):
        build_autograder_zip("pool", tmp_path, tmp_path / "a.zip", SECRET)


@dataclass(frozen=True)
class Installed:
    """The zip unpacked into ROOT/source and its setup.sh run: ROOT, and the environment the scripts ran in."""

    root: Path
    environment: dict[str, str]


@pytest.fixture(scope="module")
def installed(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The zip as Gradescope installs it: unpacked into ROOT/source, setup.sh run against the package index this
    machine has (pip's own configuration, torch from local disk)."""
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "TORCH_INDEX": ""}
    environment.pop("PYTHONPATH", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=environment,
                           capture_output=True, text=True, timeout=1200)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    return Installed(root, environment)


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_setup_installs_the_grader_and_run_autograder_grades_in_a_fake_autograder_root(installed: Installed) -> None:
    root, environment = installed.root, installed.environment
    (root / "submission").mkdir()
    shutil.copy(SUBMISSIONS / "pool" / "correct_loops.py", root / "submission" / "pool.py")
    pinned = dict(line.split("==") for line in (root / "source" / "constraints.txt").read_text().split())
    listed = subprocess.run([str(root / "venv" / "bin" / "pip"), "list", "--format=json"], capture_output=True,
                            text=True, env=environment, check=True).stdout
    installed_versions = {entry["name"].lower().replace("_", "-"): entry["version"] for entry in json.loads(listed)}
    assert {"numpy", "hypothesis", "jinja2", "nbformat"} <= set(pinned)
    assert all(installed_versions.get(name) == version for name, version in pinned.items()
               if name in installed_versions)
    run = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=environment, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, json.loads(shared("schemas/gradescope_results.schema.json").read_text()))
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0
    assert results["output_format"] == results["test_output_format"] == "md"
    assert results["extra_data"]["oracle"] == "pytorch" and results["extra_data"]["profile"] == "official"


@pytest.fixture(scope="module")
def examples_graded(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Each bundled example in a fake /autograder of its own, graded there by the installed grader: its root.

    One process grades them all (conftest's GRADER_COMMANDS): one interpreter start and torch import, not five.
    run_autograder's own run, one process per submission as on Gradescope, is the setup test's."""
    roots = {}
    for assignment, example in EXAMPLE_VERDICTS:
        source = EXAMPLES / assignment / example
        roots[assignment, example] = autograder_tree(tmp_path_factory.mktemp(example),
                                                     {f"{assignment}{source.suffix}": source.read_text()})
    commands = [[str(root), ["gradescope", assignment, "--root", str(root)], [0]]
                for (assignment, _), root in roots.items()]
    run = subprocess.run([str(installed.root / "venv" / "bin" / "python"), "-c", GRADER_COMMANDS, json.dumps(commands)],
                         cwd=installed.root, env=installed.environment, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return roots


@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("assignment, example", list(EXAMPLE_VERDICTS), ids=[name for _, name in EXAMPLE_VERDICTS])
def test_the_installed_zip_gives_the_examples_their_verdicts_on_its_official_seeds(
        assignment: str, example: str, examples_graded: dict[tuple[str, str], Path]) -> None:
    """The grader the zip installed grades any assignment: each bundled example gets the verdicts it always had,
    on the official seed drawn from the zip's secret and the example."""
    graded = examples_graded[assignment, example]
    results = json.loads((graded / "results" / "results.json").read_text())
    assert results["extra_data"]["seed"] == official_seed(SECRET, assignment, content_digest((graded / "submission",)))
    assert verdicts(results) == EXAMPLE_VERDICTS[assignment, example]
