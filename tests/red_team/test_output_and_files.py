"""Attacks through what a submission prints and writes: fake results, result files planted elsewhere, damage
to files outside its folder. (The ``world`` fixture checks every test's sentinels, repository and data.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.reports.results_json import results_json
from red_team.attacking import World, assert_contained, build, grade_attack, output

MODEL = "model_param_count"  # the fixture's model_param_count calls the other counting functions


def test_printed_fake_results_and_all_tests_passed_change_no_score(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "prints_fake_results.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", MODEL})
    assert "All tests passed" in output(report) and '"score": 100.0' in output(report)
    results = json.loads(json.dumps(results_json(report)))
    assert results["score"] == report.score
    assert [t["status"] for t in results["tests"] if "conv2d_param_count" in t["tags"]] == ["failed", "failed"]


def test_result_files_written_anywhere_land_only_in_the_scratch_folder(tmp_path: Path, world: World) -> None:
    """The attack writes a fake results.json to its folder, the one above, /tmp, both $HOMEs, the repository,
    the data and another student's results; only the first (and the sandbox's $HOME, the same folder) succeed."""
    tmp_results = Path(world.places()["tmp"]) / "results.json"
    existed = tmp_results.exists()
    report = grade_attack(build(tmp_path / "sub", "params", "writes_result_files.py", world.places()), "params")
    assert_contained(report, {"linear_param_count", MODEL})
    lines = output(report).splitlines()
    scratch = Path(json.loads(next(line for line in lines if line.startswith("SCRATCH "))[len("SCRATCH "):]))
    written = {Path(path) for line in lines if line.startswith("WROTE ") for path in json.loads(line[len("WROTE "):])}
    assert written == {scratch / "results.json"}, written
    assert existed or not tmp_results.exists()


def test_files_outside_the_scratch_folder_cannot_be_deleted_or_overwritten(tmp_path: Path, world: World) -> None:
    """Delete, overwrite, truncate, rename a sentinel; remove another student's folder; make a folder; write
    through a symlink and a hard link; open the repository's files for writing (only probed)."""
    report = grade_attack(build(tmp_path / "sub", "params", "deletes_outside.py", world.places()), "params")
    assert_contained(report, {"receptive_field"})
    assert "DAMAGED" not in output(report) and "WRITABLE" not in output(report), output(report)


def test_files_outside_the_scratch_folder_keep_their_permissions_and_times(tmp_path: Path, world: World,
                                                                          request: pytest.FixtureRequest) -> None:
    """chmod 777, chmod 000, utime, setxattr on a file of the grader's user outside the submission."""
    target = tmp_path / "metadata" / "instructor.txt"
    target.parent.mkdir()
    target.write_text("an instructor's file\n")
    before = target.stat()
    path = build(tmp_path / "sub", "params", "changes_metadata_outside.py", world.places(target=str(target)))
    report = grade_attack(path, "params", {"receptive_field", "linear_param_count"})
    after = target.stat()
    target.chmod(0o644)
    assert_contained(report, {"receptive_field"}, {"receptive_field", "linear_param_count"})
    if "own user" not in report.sandbox and "seccomp" not in report.sandbox:
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            f"at sandbox level {report.sandbox!r} the child runs as the grader's own user (no user drop without "
            "root) and without the seccomp filter, and Landlock does not govern chmod, utime or extended "
            "attributes: the child can lock the grader's files (chmod 000) or open them to all")))
    assert "CHANGED" not in output(report), output(report)
    assert (after.st_mode, after.st_mtime_ns, after.st_ctime_ns) == (before.st_mode, before.st_mtime_ns,
                                                                     before.st_ctime_ns)
