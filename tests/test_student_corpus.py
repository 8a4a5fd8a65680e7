"""The grader on student-style code (tests/fixtures/students/, its truth proven against PyTorch by
test_student_corpus_truth.py): a value-correct function gets full marks on its value checks whatever dtype it
returns, a wrong dtype costs only that function's dtype check, every wrong function fails a value check (not only a
dtype check), each catalogued bug is named on every value check it fails and no check names a mistake the code does
not make, and a LeNet5 fails exactly the checks its mistake touches."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from conftest import STUDENT_CORPUS
from grader.batch.executor import LocalExecutor
from grader.batch.run import run_batch
from grader.diagnosis import SECOND_MISTAKE
from grader.results import NOT_GRADED, PASSED
from grader.settings import Settings
from grader.suites import get_suite, suite_module

pytestmark = pytest.mark.slow
STUDENTS = tomllib.loads((STUDENT_CORPUS / "corpus.toml").read_text())["student"]
IDS = [student["file"] for student in STUDENTS]
FORWARDS = {"conv_forward", "max_pool_forward", "avg_pool_forward"}
WITH_BUGS = [student for student in STUDENTS if student["bugs"]]
WITH_CORRECT = [student for student in STUDENTS if student["value_correct"]]
LENET = [student for student in STUDENTS if student["assignment"] == "lenet"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every student's results.json tests, graded as a class is (one batch per assignment, quick profile; the three
    batches share one pool of two workers, started once)."""
    tests = {}
    with LocalExecutor(2) as pool:
        for assignment in ("conv", "pool", "lenet"):
            out = tmp_path_factory.mktemp(f"{assignment}-grades")
            run_batch(assignment, STUDENT_CORPUS / assignment, out, executor=pool, settings=Settings("quick"))
            tests |= results_of(assignment, out)
    return tests


def results_of(assignment: str, out: Path) -> dict[str, list[dict[str, Any]]]:
    """The results.json tests of each of the corpus's students of ``assignment``, from the batch's folder ``out``."""
    tests = {}
    for student in STUDENTS:
        if student["assignment"] == assignment:
            results = json.loads((out / Path(student["file"]).stem / "results.json").read_text())
            tests[student["file"]] = results["tests"]
    return tests


def is_dtype_check(test: dict[str, Any]) -> bool:
    return "dtype" in test["extra_data"]["check"]


def status(test: dict[str, Any]) -> str:
    return test["extra_data"]["status"]


def summary(tests: list[dict[str, Any]]) -> str:
    return "\n".join(f"{status(t)}: {t['name']}: {t['output'][:300]}" for t in tests if status(t) != PASSED)


@pytest.mark.parametrize("student", WITH_CORRECT, ids=[s["file"] for s in WITH_CORRECT])
def test_value_correct_functions_get_full_marks_on_their_value_checks(graded, student: dict) -> None:
    tests = graded[student["file"]]
    correct = set(student["value_correct"])
    own_raises = FORWARDS if student["forward_asserts_divisible"] else set()
    value_checks = [t for t in tests if not is_dtype_check(t) and set(t["tags"]) <= correct
                    and not set(t["tags"]) & own_raises]
    assert value_checks and all(status(t) == PASSED for t in value_checks), summary(value_checks)


@pytest.mark.parametrize("student", [s for s in STUDENTS if s["forward_asserts_divisible"]],
                         ids=[s["file"] for s in STUDENTS if s["forward_asserts_divisible"]])
def test_a_forward_that_asserts_divisibility_is_charged_in_its_own_checks_only(graded, student: dict) -> None:
    tests = graded[student["file"]]
    forward = [t for t in tests if set(t["tags"]) & FORWARDS and not is_dtype_check(t) and status(t) != PASSED]
    assert forward and all("raised AssertionError" in t["output"] for t in forward), summary(forward)
    others = [t for t in tests if not set(t["tags"]) & FORWARDS and not is_dtype_check(t)]
    assert all(status(t) == PASSED for t in others), summary(others)


@pytest.mark.parametrize("student", STUDENTS, ids=IDS)
def test_the_dtype_checks_fail_exactly_the_functions_that_return_float64(graded, student: dict) -> None:
    tests = graded[student["file"]]
    for test in filter(is_dtype_check, tests):
        function = test["tags"][0]
        if function in student["value_correct"]:
            expected = "failed" if function in student["float64_for_float32"] else PASSED
            assert status(test) == expected, f"{test['name']}: {test['output'][:300]}"
            assert test["score"] == (0 if expected == "failed" else test["max_score"])


@pytest.mark.parametrize("student", STUDENTS, ids=IDS)
def test_every_wrong_function_fails_a_value_check_not_only_its_dtype_check(graded, student: dict) -> None:
    tests = graded[student["file"]]
    for function in student["bugs"]:
        failed = [t for t in tests if function in t["tags"] and not is_dtype_check(t)
                  and status(t) not in (PASSED, NOT_GRADED)]
        assert failed, f"no value check of {function} failed:\n{summary(tests)}"
        assert all(" has dtype " not in t["output"].split(";")[0] for t in failed), summary(failed)


def names(bugs: str | list[str]) -> list[str]:
    """A function's mistakes: one name, or a list of two."""
    return [bugs] if isinstance(bugs, str) else bugs


def failing_value_checks(tests: list[dict[str, Any]], function: str) -> list[dict[str, Any]]:
    return [t for t in tests
            if function in t["tags"] and not is_dtype_check(t) and status(t) not in (PASSED, NOT_GRADED)]


@pytest.mark.parametrize("student", WITH_BUGS, ids=[s["file"] for s in WITH_BUGS])
def test_each_bug_is_named_on_every_value_check_it_fails(graded, student: dict) -> None:
    tests = graded[student["file"]]
    sentences = catalogue_sentences(student["assignment"])
    for function, bugs in student["bugs"].items():
        failed = failing_value_checks(tests, function)
        unnamed = [t["name"] for t in failed if not any(sentences[bug] in diagnosis(t) for bug in names(bugs))]
        assert not unnamed, f"{bugs!r} not named on {unnamed}\n{summary(tests)}"
        for bug in names(bugs):
            assert any(sentences[bug] in diagnosis(t) for t in failed), f"{bug!r} never named\n{summary(tests)}"


@pytest.mark.parametrize("student", STUDENTS, ids=IDS)
def test_no_check_names_a_mistake_the_code_does_not_make(graded, student: dict) -> None:
    sentences = catalogue_sentences(student["assignment"])
    own = [sentences[bug] for bugs in student["bugs"].values() for bug in names(bugs)] + [SECOND_MISTAKE]
    for test in graded[student["file"]]:
        left = diagnosis(test)
        for sentence in own:
            left = left.replace(sentence, "")
        assert not left.strip(), f"{test['name']} names {diagnosis(test)!r}"


def diagnosis(test: dict[str, Any]) -> str:
    return test["extra_data"]["diagnosis"]


def catalogue_sentences(assignment: str) -> dict[str, str]:
    """Each mistake of the assignment's catalogue by name, with the sentence the feedback names it with (lenet's
    network variants are its suite module's mutants)."""
    module = suite_module(assignment)
    variants = {name: sentence for name, _, sentence, _ in getattr(module, "mutants", list)()}
    return variants | {m.name: m.sentence for m in get_suite(assignment).mistakes}


@pytest.mark.parametrize("student", LENET, ids=[s["file"] for s in LENET])
def test_a_lenet_fails_exactly_the_checks_its_mistake_touches(graded, student: dict) -> None:
    tests = graded[student["file"]]
    assert {t["extra_data"]["check"] for t in tests} >= set(student["fails"])
    assert sorted(t["extra_data"]["check"] for t in tests if status(t) != PASSED) == sorted(student["fails"]), \
        summary(tests)


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    assert len(STUDENTS) >= 25
    assert {s["style"] for s in STUDENTS} == {"loops", "vectorised", "im2col", "sequential", "functional"}
    assert sum(bool(s["float64_for_float32"]) and not s["bugs"] for s in STUDENTS) >= 4
    assert sum(s["forward_asserts_divisible"] for s in STUDENTS) >= 3
