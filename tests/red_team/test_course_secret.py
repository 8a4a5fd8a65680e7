"""The course secret stays out of every child: not in its environment, not through the instructor's secret file, not
through another process's environment (the grader's holds it). A leak would not let a student build a table for
their own submission (its seed follows its content), but it would tell them their seed after the fact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from red_team.attacking import World, build, grade_attack, landlock_abi, output
from grader.official import SECRET_VARIABLE

SECRET = "the course secret under attack"


def test_a_child_cannot_read_the_course_secret(tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch,
                                               request: pytest.FixtureRequest) -> None:
    config = tmp_path / "config"
    (config / "grader").mkdir(parents=True)
    (config / "grader" / "secret").write_text(SECRET + "\n")
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    path = build(tmp_path / "sub", "params", "reads_the_course_secret.py",
                 world.places(secret_file=str(config / "grader" / "secret")))
    report = grade_attack(path, "params", {"linear_param_count"})
    printed = output(report)
    assert "SECRET-HUNT:" in printed and all(r.passed for r in report.results), printed
    if not landlock_abi(report.sandbox):  # README: at level process a child reads what the grader's user can
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"sandbox level {report.sandbox!r}: no Landlock"))
    found = json.loads(printed.split("SECRET-HUNT:", 1)[1].splitlines()[0])
    assert SECRET not in printed and found["environment"] == "" and found["file"] in ("PermissionError",
                                                                                      "FileNotFoundError"), found
