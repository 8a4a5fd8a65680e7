"""`grader validate`: passes on the repository, and fails naming what broke when the reference, a suite, the
release or the assignments are broken."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, shared
from grader.cli import main
from grader.suites import ASSIGNMENTS, get_suite
from grader.suites.framework import Check
from grader.validate import PROPERTY_NAMES
from grader.validate.checks import PROPERTIES, validate
from grader.validate.findings import FAIL, OK, SKIP
from grader.validate.reference import training_skipped
from grader.validate.run import Run
from grader.validate.schema import BUNDLED
from grader.validate.sync import notebook_problems

BIAS_TERM = "np.add(products.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3), b.reshape(1, F, 1, 1), out=out)"


def course_copy(tmp_path: Path) -> Path:
    """A copy of the course repository's reference/ and assignments/ to break."""
    root = tmp_path / "course"
    for folder in ("reference", "assignments"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def lines(output: str, status: str) -> list[str]:
    """The finding lines of ``output`` (assignment, property, status, reason) with this status."""
    return [line for line in output.splitlines() if line.split()[2:3] == [status]]


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_validate_passes_on_params_and_prints_each_property(capsys) -> None:
    assert main(["validate", "--assignment", "params"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[:3] for line in lines(out, OK)] == [
        ["params", name, "ok"] for name in ("reference", "stubs", "mutants", "sync", "oracles", "schema")]
    mistakes, points = len(get_suite("params").mistakes), sum(c.points for c in get_suite("params").checks)
    assert f"{mistakes}/{mistakes} mutants caught" in out and f"scores {points:g}/{points:g} with the thorough" in out
    assert out.splitlines()[-1].startswith("validate passed (6 ok, 0 failed, 0 skipped, in ")


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_a_reference_without_its_bias_fails_naming_conv_the_reference_and_the_check(tmp_path: Path,
                                                                                   capsys) -> None:
    root = course_copy(tmp_path)
    conv = root / "reference" / "conv.py"
    assert BIAS_TERM in conv.read_text()
    conv.write_text(conv.read_text().replace(BIAS_TERM, "out[...] = products.reshape(F, N, H_out, W_out)"
                                                        ".transpose(1, 0, 2, 3)"))
    assert main(["validate", "--root", str(root), "--assignment", "conv", "--profile", "quick"]) == 1
    failed = {line.split()[1]: line for line in lines(capsys.readouterr().out, FAIL)}
    assert set(failed) == {"reference", "mutants", "oracles"}
    assert failed["reference"].startswith("conv     reference FAIL  reference/conv.py scores ")
    assert "check forward_values failed: conv_forward's out differs" in failed["reference"]
    assert "'missing bias' passed every check" in failed["mutants"]
    assert "conv_forward: the reference and PyTorch differ" in failed["oracles"]


@pytest.mark.slow  # grades end to end for many seconds: make test-fast leaves it out
def test_a_check_deleted_from_a_suite_lets_its_mistake_escape(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = get_suite("params")
    monkeypatch.setattr(suite, "checks", [check for check in suite.checks if check.name != "receptive"])
    assert main(["validate", "--assignment", "params", "--only", "mutants"]) == 1
    (line,) = lines(capsys.readouterr().out, FAIL)
    mistakes = len(suite.mistakes)
    assert line.startswith(f"params   mutants   FAIL  {mistakes - 1}/{mistakes} mutants caught; 'receptive field "
                           "ignoring strides' passed every check: add a check")


def test_a_check_that_passes_on_the_stub_fails_naming_it(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = get_suite("params")
    always = Check("always_passes", "passes whatever the code", ("receptive_field",), 1, lambda ctx, case: None,
                   suite.checks[0].cases)
    monkeypatch.setattr(suite, "checks", suite.checks + [always])
    assert main(["validate", "--assignment", "params", "--only", "stubs"]) == 1
    (line,) = lines(capsys.readouterr().out, FAIL)
    points = sum(check.points for check in suite.checks)  # the always-passing check included
    assert f"assignments/params/params.py scores 1/{points:g} untouched: always_passes passes on a stub" in line


def test_a_hand_edited_notebook_fails_sync_naming_the_cell(tmp_path: Path) -> None:
    root = course_copy(tmp_path)
    path = root / "assignments" / "params" / "params.ipynb"
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells
            if cell.cell_type == "code" and not {"check", "grader"} & set(cell.metadata.get("tags", []))]
    code[1].source += "\nprint('edited')"
    nbformat.write(notebook, path)
    (finding,) = validate(Run(root), ["params"], ["sync"])
    assert finding.status == FAIL and "params.ipynb differs from what `grader release` writes" in finding.reason
    assert notebook_problems(root, "params") == [
        "assignments/params/params.ipynb's code cell 2 is not the stub's (the notebook has "
        f"{len(code)} code cells, the stub {len(code)}): run `grader release`"]


def test_a_notebook_that_is_not_nbformat_is_named(tmp_path: Path) -> None:
    root = course_copy(tmp_path)
    (root / "assignments" / "pool" / "pool.ipynb").write_text(json.dumps({"cells": "none"}))
    (problem,) = notebook_problems(root, "pool")
    assert problem.startswith("assignments/pool/pool.ipynb is not valid nbformat 4 (")


def test_a_reference_module_without_a_suite_is_named(tmp_path: Path) -> None:
    root = course_copy(tmp_path)
    (root / "reference" / "extra.py").write_text("# %%\ndef f():\n    return 1\n")
    strays = [f for f in validate(Run(root), ASSIGNMENTS, ["sync"]) if f.assignment == "extra"]
    assert [(f.property, f.status) for f in strays] == [("sync", FAIL), ("sync", FAIL), ("suite", FAIL)]
    assert strays[0].reason == "assignments/extra/extra.py is missing: run `grader release`"
    assert strays[2].reason.startswith("reference/extra.py has no suite: add suites/extra.py to the course folder")


def test_without_the_shared_schema_the_bundled_copy_is_used(tmp_path: Path) -> None:
    stubs, schema = validate(Run(course_copy(tmp_path)), ["params"], ["stubs", "schema"])
    assert stubs.status == schema.status == OK
    assert schema.reason == "1 results.json valid against the bundled copy of the schema"


def test_the_bundled_schema_is_the_shared_one() -> None:
    assert BUNDLED.read_bytes() == shared("schemas/gradescope_results.schema.json").read_bytes()


def test_training_on_the_full_mnist_waits_for_full(tmp_path: Path) -> None:
    data = shared("data/mnist")
    assert training_skipped("train", Run(ROOT, data_dir=data)).startswith("training on the full MNIST in ")
    assert training_skipped("train", Run(ROOT, data_dir=data, full=True)) == ""
    assert training_skipped("lenet", Run(ROOT, data_dir=data)) == ""


def test_a_folder_without_reference_is_a_usage_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--root", str(tmp_path)])
    assert exit_info.value.code == 2 and "has no reference/ folder" in capsys.readouterr().err


def test_the_command_offers_every_property_in_order() -> None:
    assert tuple(PROPERTIES) == PROPERTY_NAMES


def test_properties_without_anything_to_check_are_skipped() -> None:
    findings = list(validate(Run(ROOT), ["train"], ["mutants", "oracles", "schema"]))
    assert [(f.property, f.status) for f in findings] == [("mutants", SKIP), ("oracles", SKIP), ("schema", SKIP)]
