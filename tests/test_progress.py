"""The live line while `grader check` runs (grader/progress.py): which check, how many are done, on a terminal's
stderr only; never in a log or a run that writes --json. The notebook's line: tests/test_notebook_display.py."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS
from grader import progress
from grader.cli import main
from grader.progress import Progress, TerminalLine
from grader.suites import get_suite

CORRECT = SUBMISSIONS / "pool" / "correct_loops.py"
CHECKS = len(get_suite("pool").checks)


def grader_check_on_a_terminal() -> tuple[str, str]:
    """Run `grader check pool` with stdout to a pipe and stderr to a pseudo-terminal of 120 columns: what each
    received."""
    command = [sys.executable, "-m", "grader.cli", "check", "pool", str(CORRECT)]
    reader, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            data = os.read(reader, 65536)
        except OSError:  # EIO: every process holding the terminal has closed it
            break
        if not data:
            break
        shown += data
    os.close(reader)
    stdout = process.stdout.read()
    process.wait(timeout=600)
    return stdout.decode(), shown.decode()


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_on_a_terminal_one_line_follows_the_checks_and_is_erased_before_the_report() -> None:
    stdout, stderr = grader_check_on_a_terminal()
    draws = stderr.split("\r\x1b[K")
    assert draws[0] == "" and draws[-1] == "" and "\n" not in stderr  # one line, redrawn in place, then erased
    assert draws[1] == f"pool: 0/{CHECKS} checks done [0 s] loading your code"
    assert f"pool: 0/{CHECKS} checks done [0 s] running: max_pool_forward reproduces the" in stderr
    counts = [int(draw.split("/")[0].removeprefix("pool: ")) for draw in draws[1:-1]]
    assert counts == sorted(counts) and counts[-1] > CHECKS // 2 and all(len(draw) < 120 for draw in draws)
    assert "\x1b" not in stdout and f"{CHECKS} of {CHECKS} checks passed" in stdout


@pytest.mark.parametrize("where, shown", [("a terminal", True), ("a log", False), ("a terminal, with --json", False)])
def test_the_line_is_drawn_only_on_a_terminal_and_never_in_a_run_that_writes_json(
        where: str, shown: bool, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = Terminal() if "terminal" in where else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    options = ["--json", str(tmp_path / "results.json")] if "json" in where else []
    assert main(["check", "pool", str(CORRECT), *options]) == 0
    text = stderr.getvalue()
    drawn_then_erased = text.startswith(f"\r\x1b[Kpool: 0/{CHECKS} checks done") and text.endswith("\r\x1b[K")
    assert drawn_then_erased if shown else text == ""
    assert f"{CHECKS} of {CHECKS} checks passed" in capsys.readouterr().out


def test_a_long_check_is_redrawn_every_tick_with_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "TICK_SECONDS", 0.01)
    stream = io.StringIO()
    with TerminalLine(stream) as line:
        line(Progress("train", 1, 5, "running: fit trains"))
        deadline = time.monotonic() + 60  # guards a hang only
        while stream.getvalue().count("train: 1/5 checks done") < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    draws = stream.getvalue().split("\r\x1b[K")
    assert len(draws) >= 6 and draws[-1] == ""
    assert all(draw.startswith("train: 1/5 checks done [") and draw.endswith(" s] running: fit trains")
               for draw in draws[1:-1])
