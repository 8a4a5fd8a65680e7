"""The official grade's seed: drawn from a course secret kept outside every release and from the submission, recorded
in results.json and record.json, and replayed exactly with --seed; without a secret, a usage error that says how."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from conftest import SUBMISSIONS
from grader.batch.records import content_digest
from grader.cli import main
from grader.official import SECRET_VARIABLE, official_seed
from grader.settings import PROFILES

SECRET = "a course secret for the tests"
PARAMS = SUBMISSIONS / "params" / "correct_loops.py"


@pytest.fixture
def no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No $GRADER_SECRET, and a configuration folder of the test's own (no secret file yet)."""
    monkeypatch.delenv(SECRET_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "grader" / "secret"


def checked(tmp_path: Path, path: Path, *options: str) -> dict:
    results = tmp_path / f"results{len(list(tmp_path.glob('results*.json')))}.json"
    assert main(["check", "params", str(path), "--json", str(results), *options]) in (0, 1)
    return json.loads(results.read_text())


def inputs(results: dict) -> list[str]:
    return [test["extra_data"]["inputs"] for test in results["tests"]]


def test_no_released_profile_holds_the_official_seed() -> None:
    assert PROFILES["official"].seed is None
    assert PROFILES["official"].max_examples == PROFILES["thorough"].max_examples


@pytest.mark.parametrize("command", [["check", "params", str(PARAMS), "--profile", "official"],
                                     ["batch", "params", str(PARAMS.parent), "--out", "OUT"],
                                     ["gradescope-zip", "params", "--out", "OUT"]], ids=["check", "batch", "zip"])
def test_the_official_grade_without_a_secret_is_a_usage_error_that_says_how(command: list[str], no_secret: Path,
                                                                             tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main([str(tmp_path / "out") if part == "OUT" else part for part in command])
    assert not (tmp_path / "out").exists()
    error = capsys.readouterr().err
    assert exit_code.value.code == 2
    assert "run `grader secret` once" in error and SECRET_VARIABLE in error and "--seed N" in error


def test_grader_secret_writes_a_secret_for_the_instructor_alone_once(no_secret: Path, capsys) -> None:
    assert main(["secret"]) == 0
    secret = no_secret.read_text().strip()
    assert len(secret) == 64 and stat.S_IMODE(no_secret.stat().st_mode) == 0o600
    assert main(["secret"]) == 0 and no_secret.read_text().strip() == secret
    printed = capsys.readouterr().out
    assert secret not in printed and "wrote a new course secret" in printed and "kept the course secret" in printed


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_official_seeds_come_from_the_secret_and_the_submission_and_replay_exactly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    official = checked(tmp_path, PARAMS, "--profile", "official")
    seed = official["extra_data"]["seed"]
    assert seed == official_seed(SECRET.encode(), "params", content_digest((PARAMS,)))
    assert official["extra_data"]["profile"] == "official" and official["score"] > 0
    monkeypatch.delenv(SECRET_VARIABLE)  # a replay needs the recorded seed only
    replayed = checked(tmp_path, PARAMS, "--profile", "official", "--seed", str(seed))
    assert inputs(replayed) == inputs(official)
    thorough = checked(tmp_path, PARAMS, "--profile", "thorough")
    assert thorough["extra_data"]["seed"] != seed and inputs(thorough) != inputs(official)


def test_another_submission_or_another_secret_draws_another_seed(tmp_path: Path) -> None:
    changed = tmp_path / "params.py"
    changed.write_text(PARAMS.read_text() + "\n# one more line\n")
    seeds = {official_seed(SECRET.encode(), "params", content_digest((PARAMS,))),
             official_seed(SECRET.encode(), "params", content_digest((changed,))),
             official_seed(b"another course's secret", "params", content_digest((PARAMS,))),
             official_seed(SECRET.encode(), "conv", content_digest((PARAMS,)))}
    assert len(seeds) == 4 and all(0 <= seed < 2**53 for seed in seeds)


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_a_batch_draws_each_students_seed_records_it_and_regrades_when_the_secret_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for student in ("ana", "ben"):
        (submissions / f"{student}.py").write_text(PARAMS.read_text())
    out = tmp_path / "out"
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    batch = ["batch", "params", str(submissions), "--out", str(out), "--jobs", "1", "--budget", "1"]  # seeds, not grades
    assert main(batch) == 0
    records = {s: json.loads((out / s / "record.json").read_text()) for s in ("ana", "ben")}
    for student, record in records.items():
        path = submissions / f"{student}.py"
        assert record["seed"] == official_seed(SECRET.encode(), "params", content_digest((path,)))
        assert json.loads((out / student / "results.json").read_text())["extra_data"]["seed"] == record["seed"]
    assert records["ana"]["seed"] != records["ben"]["seed"]
    monkeypatch.setenv(SECRET_VARIABLE, "the secret of next term")
    assert main(batch) == 0
    again = {s: json.loads((out / s / "record.json").read_text()) for s in ("ana", "ben")}
    assert all(again[s]["seed"] != records[s]["seed"] and again[s]["key"] != records[s]["key"] for s in again)


def test_a_batch_refuses_one_seed_for_every_student_of_the_official_grade(tmp_path: Path, capsys,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    with pytest.raises(SystemExit) as exit_code:
        main(["batch", "params", str(PARAMS.parent), "--out", str(tmp_path / "out"), "--seed", "3"])
    assert exit_code.value.code == 2 and "--profile official --seed N" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "out")
