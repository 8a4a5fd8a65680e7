"""Attacks on whoever reads the feedback: control characters in printed output and exception text are shown
escaped in the terminal report, report.md and results.json (the HTML report escapes everything already)."""

from __future__ import annotations

import json
from pathlib import Path

from grader.reports.markdown import render_markdown
from grader.reports.results_json import results_json
from grader.reports.terminal import render
from red_team.attacking import World, assert_contained, build, grade_attack

CONTROL = ("\x1b", "\r", "\u202e")


def test_control_characters_from_student_code_reach_no_report_raw(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "injects_terminal_codes.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", "model_param_count"})
    shown = {"terminal": render(report), "markdown": render_markdown(report),
             "results.json": json.dumps(results_json(report), ensure_ascii=False)}
    for name, text in shown.items():
        assert not any(character in text for character in CONTROL), name
    assert "\\u001b" not in shown["results.json"] and "\\r" not in shown["results.json"]
    terminal = shown["terminal"]
    assert "\\x1b[2J\\x1b[H\\x1b[32m  PASS  params: 11/11" in terminal and "\\u202e" in terminal
    assert "raised ValueError: \\x1b[2J" in terminal
