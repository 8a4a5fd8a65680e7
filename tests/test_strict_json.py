"""Every results.json and batch record is strict JSON, even when a student's output holds NaN or infinity:
strict parsers (Gradescope's, a browser's, jq) reject the bare NaN and Infinity that Python writes by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import cli
from grader.compare import check_array
from grader.gradescope import run_gradescope

CORRECT = Path(__file__).parent / "fixtures" / "submissions" / "pool" / "correct_loops.py"
NAN_IN_THE_OUTPUT = '''

_right_max_pool_forward = max_pool_forward


def max_pool_forward(x, pool_param):
    out, cache = _right_max_pool_forward(x, pool_param)
    out = out.copy()
    out.flat[0] = np.nan
    return out, cache
'''


def nan_submission(folder: Path) -> Path:
    """A pool submission whose max_pool_forward puts NaN in its first output entry."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pool.py"
    path.write_text("import numpy as np\n" + CORRECT.read_text() + NAN_IN_THE_OUTPUT)
    return path


def strict(path: Path) -> Any:
    """The file's JSON, refusing NaN, Infinity and -Infinity as a strict parser does."""
    def refuse(constant: str) -> None:
        raise AssertionError(f"{path} holds the non-JSON constant {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def failed_forward_details(results: dict[str, Any]) -> dict[str, Any]:
    test = next(t for t in results["tests"] if t["name"].startswith("max_pool_forward") and t["score"] == 0)
    return test["extra_data"]["details"]


def test_grader_check_json_is_strict(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    cli.main(["check", "pool", str(nan_submission(tmp_path / "sub")), "--json", str(out)])
    assert failed_forward_details(strict(out))["max_abs_error"] == "inf"


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_batch_results_and_records_are_strict(tmp_path: Path) -> None:
    nan_submission(tmp_path / "subs" / "ada")
    cli.main(["batch", "pool", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--profile", "quick",
              "--jobs", "1"])
    assert failed_forward_details(strict(tmp_path / "out" / "ada" / "results.json"))["max_abs_error"] == "inf"
    strict(tmp_path / "out" / "ada" / "record.json")


def test_gradescope_results_are_strict(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    nan_submission(root / "submission")
    run_gradescope("pool", root, profile="quick")
    assert failed_forward_details(strict(root / "results" / "results.json"))["max_abs_error"] == "inf"


def test_mismatches_count_the_differing_entries_only() -> None:
    """One NaN among right values is one mismatch, not all of them."""
    mismatch = check_array("out", np.array([np.nan, 1.0, 2.0]), np.array([0.5, 1.0, 2.0]))
    assert mismatch is not None and mismatch.evidence.mismatches == 1
    assert mismatch.evidence.differs == [True, False, False]
