"""Attacks on the sandbox process and the grader's: exits, hangs, memory and fork bombs, escaping processes,
killing the grader, floods of output, crashes, an import that never ends. Each fails only its own checks."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from red_team.attacking import (World, allowing_processes, assert_contained, build, every_function, grade_attack,
                                grade_correct_params, grade_in_a_process, grader_process, kill, messages, output,
                                processes_named, signals_confined, wait_until)
from grader.results import CRASHED, FAILED, TIMED_OUT
from grader.runner import grade_submission
from grader.submission import load_submission
from grader.settings import Settings

MODEL = "model_param_count"  # the fixture's model_param_count calls the other counting functions
COUNTS = {"conv2d_param_count", "linear_param_count", "receptive_field"}  # graded with an untouched function


@pytest.fixture(autouse=True)
def quick_limits(limits) -> None:
    """A hang costs 2 s, a slow import 3 s, a memory bomb stops at 512 MiB."""
    limits("params", call_seconds=2.0, load_seconds=3.0, memory_mib=512)


def test_sys_exit_at_import_keeps_what_was_defined_and_is_reported(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "sys_exit_at_import.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", MODEL})
    assert report.load_messages == ["params.py: SystemExit: 0"]


def test_os_exit_at_import_fails_every_check_with_the_reason(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "os_exit_at_import.py", world.places()), "params")
    assert_contained(report, every_function("params"))
    assert all("loading your code the process exited with code 0" in r.message for r in report.results)


def test_exits_and_atexit_hooks_in_functions_fail_only_those_functions(tmp_path: Path, world: World) -> None:
    """sys.exit(0), os._exit(0), SystemExit with an atexit hook that fakes success (writing a results.json)."""
    report = grade_attack(build(tmp_path / "sub", "params", "exits_in_functions.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", "linear_param_count", "layer_output_shape", MODEL})
    messages = {r.name: r.message for r in report.results}
    assert "called sys.exit(0)" in messages["conv_count_with_bias"]
    assert "exited with code 0" in messages["linear_count"]


def test_a_busy_loop_and_an_endless_sleep_time_out_once_each(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "hangs.py", world.places()), "params", COUNTS)
    assert_contained(report, {"conv2d_param_count", "linear_param_count"}, COUNTS)
    hung = [r for r in report.results if r.status == TIMED_OUT]
    assert len(hung) == 3 and sum(r.seconds for r in hung) < 2 * 2 + 3


def test_memory_bombs_fail_with_out_of_memory(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "memory_bomb.py", world.places()), "params", COUNTS)
    assert_contained(report, {"conv2d_param_count", "linear_param_count"}, COUNTS)
    failed = [r.message for r in report.results if not r.passed]
    assert all("ran out of memory" in message for message in failed), failed


def test_fork_bombs_are_refused_at_the_first_fork(tmp_path: Path, world: World) -> None:
    """A child is one process (params starts none): os.fork and a multiprocessing pool fail at once, with a
    sentence that says so."""
    report = grade_attack(build(tmp_path / "sub", "params", "fork_bomb.py", world.places()), "params", COUNTS)
    assert_contained(report, {"conv2d_param_count", "linear_param_count"}, COUNTS)
    assert "fork refused" in output(report) and "forked 0 processes" in output(report)
    assert any("tried to start a process, which the grader's sandbox refuses" in message
               for message in messages(report, "linear_param_count"))


def test_fork_bombs_time_out_and_leave_no_process_behind(tmp_path: Path, world: World, processes) -> None:
    """Where a policy allows processes: os.fork in a loop (bounded at 300) and a multiprocessing pool, then a hang;
    the world fixture looks for any process named with the token afterwards."""
    processes("params")
    report = grade_attack(build(tmp_path / "sub", "params", "fork_bomb.py", world.places()), "params", COUNTS)
    assert_contained(report, {"conv2d_param_count", "linear_param_count"}, COUNTS)
    assert "started 16 processes" in output(report)  # conv's loop may not reach its print before its call times out
    assert wait_until(lambda: not processes_named(world.token), 10)


def test_a_daemon_in_a_new_session_does_not_outlive_the_grading(tmp_path: Path, world: World, processes) -> None:
    """fork, setsid (out of the sandbox's process group), fork again, and return at once: no timeout kills it."""
    processes("params")
    try:
        report = grade_attack(build(tmp_path / "sub", "params", "escapes_process_group.py", world.places()),
                              "params", COUNTS)
        assert_contained(report, {"conv2d_param_count"}, COUNTS)
        assert wait_until(lambda: not processes_named(world.token), 3)
    finally:
        for pid in processes_named(world.token):
            kill(pid)


def kill_the_grader_mid_call(tmp_path: Path, world: World) -> Path:
    """Grade outlives_the_grader.py in a grader process (letting the child start processes, where that is honoured),
    and SIGKILL that process (no cleanup) while the submission hangs with its helper running; returns the child's
    scratch folder (where the helper stands)."""
    allowing_processes()
    grader = grader_process(build(tmp_path / "sub", "params", "outlives_the_grader.py", world.places()), "params",
                            {"conv2d_param_count"}, subprocesses=True)
    try:
        assert wait_until(lambda: processes_named(world.token), 60), "the helper never started"
        scratch = Path(os.readlink(f"/proc/{processes_named(world.token)[0]}/cwd"))
        assert scratch.name.startswith("grader-child-") and scratch.exists()
        os.kill(grader.pid, signal.SIGKILL)
    finally:
        if grader.poll() is None:
            grader.kill()
        grader.communicate()
    return scratch


@pytest.mark.slow
def test_a_helper_process_dies_with_the_grader(tmp_path: Path, world: World) -> None:
    kill_the_grader_mid_call(tmp_path, world)
    assert wait_until(lambda: not processes_named(world.token), 5), "the helper outlived the grader"


@pytest.mark.slow
def test_a_killed_grader_leaves_no_scratch_folder_behind(tmp_path: Path, world: World) -> None:
    scratch = kill_the_grader_mid_call(tmp_path, world)
    try:
        assert wait_until(lambda: not scratch.exists(), 5), "the scratch folder outlived the grader"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.slow
def test_killing_the_parent_its_group_or_everything_kills_only_the_sandbox(tmp_path: Path, world: World) -> None:
    """SIGKILL to the parent, the grandparent (the grader) and their groups; killpg(0); kill -1. The grader
    runs in a process (and session) of its own, so that a success would show as its death, not the test's."""
    level = grade_correct_params().sandbox
    if not signals_confined(level):
        pytest.skip(f"sandbox level {level!r} does not confine signals: kill -1 would kill this test run")
    graded = grade_in_a_process(build(tmp_path / "sub", "params", "kills_the_grader.py", world.places()), "params")
    failed = {f for r in graded["results"] if r["status"] != "passed" for f in r["functions"]}
    assert failed == {"conv2d_param_count", "linear_param_count", "receptive_field", MODEL}
    assert [r["status"] for r in graded["results"] if r["name"] == "linear_count"] == [CRASHED]
    assert "sent: SIGKILL" not in "".join(r["output"] for r in graded["results"])


def test_a_flood_of_output_is_stopped_at_its_cap_and_not_called_again(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "floods_output.py", world.places()), "params", COUNTS)
    assert_contained(report, {"conv2d_param_count"}, COUNTS)
    flooded = report.results[0]
    assert flooded.status == FAILED and "printed more than 4 MB in one call" in flooded.message
    assert flooded.seconds < 5, "a flood must be stopped when it passes the cap, not at the call's time limit"
    later = [r for r in report.results[1:] if "conv2d_param_count" in r.functions]
    assert later and all(r.message.startswith("not run: in an earlier check, ") and "printed more than" in r.message
                         for r in later)
    assert all(len(r.output) < 30_000 for r in report.results)
    assert "more bytes of output not shown" in flooded.output


def test_segfaults_and_aborts_crash_only_their_functions(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "segfaults.py", world.places()), "params", COUNTS)
    assert_contained(report, {"conv2d_param_count", "linear_param_count"}, COUNTS)
    messages = {r.name: r.message for r in report.results}
    assert "SIGSEGV" in messages["conv_count_with_bias"] and "SIGABRT" in messages["linear_count"]


def test_an_import_that_never_ends_times_out_and_fails_every_check(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "slow_import.py", world.places()), "params")
    assert_contained(report, every_function("params"))
    assert all("loading your code timed out" in r.message for r in report.results)


def test_slow_calls_stop_at_the_submissions_time_budget(tmp_path: Path, world: World) -> None:
    path = build(tmp_path / "sub", "params", "slow_but_within_limits.py", world.places())
    started = time.monotonic()
    report = grade_submission("params", load_submission(path, "params"), Settings("quick", budget_seconds=4))
    assert time.monotonic() - started < 30
    stopped = [r for r in report.results if r.message.startswith("stopped: the submission used up its time budget")]
    unrun = [r for r in report.results if r.message.startswith("not run: the submission used up its time budget")]
    assert stopped and all(r.status == TIMED_OUT and r.score == 0 for r in stopped + unrun)
    assert all(r.passed for r in report.results[:report.results.index(stopped[0])])
