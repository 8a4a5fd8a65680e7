"""The table attack's recorder: the grader's own machinery (its checks, in this process, on the suite's
``as_student(oracle)``, as a student with the release can run them) records every call and its answer, for the
submission ``attacks/tables/answers_from_a_table.py`` to answer from."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

import numpy as np

from red_team.attacking import attack_text
from grader.runner import run_checks
from grader.sandbox.in_process import InProcess, load_probes
from grader.settings import PROFILES, Settings
from grader.suites import get_suite, suite_module
from grader.suites.framework import Check, CheckAborted, Context

ATTACK = ("tables", "answers_from_a_table.py")


MAX_ANSWER = 50_000  # characters of JSON: larger answers (im2col's timed run) would take the source past 2 MiB


def table_submission(places: dict[str, object], table: dict[str, Any], functions: Iterable[str]) -> str:
    """The attack's source, answering ``functions`` from ``table`` (answers that fit a submission)."""
    fitting = {key: answer for key, answer in table.items() if len(json.dumps(answer)) <= MAX_ANSWER}
    return attack_text(*ATTACK, {**places, "table": fitting, "functions": sorted(functions)})


def digest(function: str, args: tuple, kwargs: dict) -> str:
    """The attack's own key of a call (taken from its source, so the recorder and the submission agree)."""
    namespace: dict[str, Any] = {}
    exec(attack_text(*ATTACK, {}), namespace)
    return namespace["digest"](function, args, kwargs)


def as_json(value: Any) -> Any:
    """An answer as the table holds it (see ``rebuilt`` in the attack)."""
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"tuple": [as_json(item) for item in value]}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


class Recorder:
    """The student API computed by an oracle, each call recorded with its answer; a forward's cache becomes a token
    naming its call, as the attack returns it."""

    def __init__(self, assignment: str, oracle: Any) -> None:
        self.functions = suite_module(assignment).as_student(oracle)
        self.table: dict[str, Any] = {}
        self.caches: dict[str, Any] = {}

    def student(self) -> dict[str, Callable[..., Any]]:
        return {name: self.recording(name, function) for name, function in self.functions.items()}

    def recording(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            key = digest(name, args, kwargs)
            real = tuple(self.caches.get(a, a) if isinstance(a, str) else a for a in args)
            try:
                value = function(*real, **kwargs)
            except (ValueError, TypeError) as error:
                self.table[key] = {"raises": type(error).__name__}
                raise
            if name.endswith("_forward") and isinstance(value, tuple) and len(value) == 2:
                token = f"cache {key}"
                self.caches[token] = value[1]
                value = (value[0], token)
            self.table[key] = as_json(value)
            return value

        return call


def record_runs(assignment: str, oracle: Any, runs: Iterable[tuple[str, int]]) -> dict[str, Any]:
    """Every call the suite's checks make in each (profile, seed) run, with its answer."""
    suite, recorder = get_suite(assignment), Recorder(assignment, oracle)
    sandbox = InProcess(recorder.student(), load_probes(suite.policy.probe_modules))
    for profile, seed in runs:
        context = Context(sandbox, oracle, Settings(profile, seed=seed))
        run_checks(suite.checks, context, sandbox.load(), PROFILES[profile], seed)
    return recorder.table


def record_fixed_examples(assignment: str, oracle: Any) -> dict[str, Any]:
    """Every call the suite's checks make on their fixed examples only, with its answer."""
    suite, recorder = get_suite(assignment), Recorder(assignment, oracle)
    context = Context(InProcess(recorder.student(), load_probes(suite.policy.probe_modules)), oracle)
    for check in suite.checks:
        for case in check.examples:
            try_body(check, context, case)
    return recorder.table


def try_body(check: Check, context: Context, case: Any) -> None:
    """Run a check's body on one case for the calls it makes; its verdict does not matter here."""
    try:
        check.body(context, case)
    except (Exception, CheckAborted):  # noqa: BLE001 - a failing or skipped case still made its calls
        pass
