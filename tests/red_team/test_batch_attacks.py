"""Attacks on a batch: one student writes into the output folder and another student's submission, one ships
modules named like numpy and conftest in a folder, others submit the reference through symbolic links."""

from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any, Callable

from grader.batch.run import run_batch
from grader.settings import Settings
from grader.suites import get_suite
from red_team.attacking import ATTACKS, FIXTURES, ROOT, World, attack_text, tree_state

SHADOWS = ATTACKS / "params" / "folder_submission"


class InlineExecutor:
    """Runs each job at once in this process: the batch's own logic, without starting worker processes."""

    workers = 1

    def submit(self, job: Callable[[], Any]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(job())
        except Exception as error:  # noqa: BLE001 - handed to the batch, as a pool would
            future.set_exception(error)
        return future

    def close(self, cancel: bool = False) -> None:
        pass


def with_wrong_receptive_field() -> str:
    return (FIXTURES / "params" / "correct_loops.py").read_text() + "\n\ndef receptive_field(layers):\n    return 0\n"


def symlinked_zip(path: Path, target: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("params.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, target)
    return path


def build_class(submissions: Path, out: Path, world: World) -> None:
    """alice (honest, one function wrong), mallory (plants results), nina (a folder with shadow modules), eve
    (a symlink to the reference), frank (a folder whose params.py is that symlink), zed (a zip holding one)."""
    submissions.mkdir()
    (submissions / "alice.py").write_text(with_wrong_receptive_field())
    targets = [str(out / "alice" / "results.json"), str(out / "gradebook.csv"), str(out / "mallory" / "results.json"),
               str(out / "summary.html"), str(submissions / "alice.py"), str(submissions / "nina" / "params.py")]
    mallory = attack_text("params", "writes_result_files.py", world.places(targets=targets))
    (submissions / "mallory.py").write_text((FIXTURES / "params" / "correct_loops.py").read_text() + "\n\n" + mallory)
    (submissions / "nina").mkdir()
    shutil.copy(FIXTURES / "params" / "correct_loops.py", submissions / "nina" / "params.py")
    for shadow in SHADOWS.glob("shadow_*.py"):
        (submissions / "nina" / shadow.name.removeprefix("shadow_")).write_text(
            attack_text("params", f"folder_submission/{shadow.name}", world.places()))
    os.symlink(ROOT / "reference" / "params.py", submissions / "eve.py")
    (submissions / "frank").mkdir()
    os.symlink(ROOT / "reference" / "params.py", submissions / "frank" / "params.py")
    symlinked_zip(submissions / "zed.zip", str(ROOT / "reference" / "params.py"))


def gradebook(out: Path) -> dict[str, tuple[str, str, str]]:
    rows = list(csv.reader((out / "gradebook.csv").read_text().splitlines()))
    return {row[0]: (row[1], row[2], row[3]) for row in rows[1:]}


def test_a_batch_keeps_each_students_grade_whatever_the_others_submit(tmp_path: Path, world: World) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    build_class(submissions, out, world)
    before = tree_state(submissions)
    run_batch("params", submissions, out, settings=Settings("quick"), executor=InlineExecutor(), stream=open(os.devnull, "w"))
    assert tree_state(submissions) == before, "a submission changed another one"
    assert gradebook(out) == {
        "alice": ("12", "14", "failed"), "mallory": ("9", "14", "failed"), "nina": ("14", "14", "passed"),
        "eve": ("0", "14", "did not load"), "frank": ("0", "14", "did not load"), "zed": ("0", "14", "did not load")}
    for student, score in {"alice": 12, "mallory": 9, "nina": 14}.items():
        results = json.loads((out / student / "results.json").read_text())
        assert results["score"] == score and len(results["tests"]) == len(get_suite("params").checks) == 11
    for student in ("eve", "frank", "zed"):
        assert "symbolic link" in json.loads((out / student / "results.json").read_text())["tests"][0]["output"]
    nina = json.loads((out / "nina" / "results.json").read_text())
    assert "All tests passed" not in json.dumps(nina), "a shadow module ran"
    assert not list(world.outside.glob("ran-*")), "a shadow module ran"
