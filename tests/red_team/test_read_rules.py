"""Issue 21's read rules: no child, of a numpy or a PyTorch assignment, reads the reference, the grader's suites, a
course folder, the data folder or the results folder, under an editable install (this checkout) or `pip install .`
(a wheel, as on Gradescope) into a fresh environment outside the repository, where `reference/` and the suites lie
in site-packages beside torch. Each child must still read its own libraries (the control that the attack works).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv
from pathlib import Path
from typing import Iterator

import pytest

from conftest import copy_checkout
from red_team.attacking import ROOT

pytestmark = pytest.mark.slow

SNOOP = '''
import os
def conv_forward(x, w, b, conv_param):
    pass
class LeNet5:
    pass
def snoop(paths):
    found = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                found[path] = "read" if handle.read(10) else "empty"
        except OSError as error:
            found[path] = type(error).__name__
    return found
'''

READ = '''
import json, os, sys
from pathlib import Path
import grader, numpy, torch
from grader.sandbox.process import Sandbox
from grader.submission import load_submission
from grader.suites import get_suite

assignment, submission, places = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
installed = Path(grader.__file__).parent
secret = [str(installed / "suites" / "conv" / "__init__.py"), str(installed.parent / "reference" / "conv.py"), *places]
own = [numpy.__file__, torch.__file__] if assignment == "lenet" else [numpy.__file__]
with Sandbox(load_submission(submission, assignment), get_suite(assignment).policy) as box:
    box.load()
    print(json.dumps({"level": box.level, "secret": box.call("snoop", secret).value,
                      "own": box.call("snoop", own).value, "installed": str(installed)}))
'''


def fresh_install(folder: Path) -> Path:
    """`pip install .` of a copy of this repository into a new environment outside it (its other packages from this
    one's site-packages, as tests/test_packaging.py does); the environment's python."""
    source = folder / "source"
    copy_checkout(source)
    venv.create(folder / "venv", with_pip=False)
    python = folder / "venv" / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "--no-build-isolation", "-q", str(source)], check=True, capture_output=True, cwd=folder, timeout=600)
    shutil.rmtree(source)
    return python


@pytest.fixture(scope="module")
def open_folder() -> Iterator[Path]:
    """A folder every user may enter (pytest's own are closed to others): the child's own user could not read what
    lies in a closed one whatever the sandbox, so only here does a denial prove the read rules."""
    folder = Path(tempfile.mkdtemp(prefix="grader-read-rules-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def installs(open_folder: Path) -> dict[str, Path]:
    """The python of each install mode: editable (this checkout) and non-editable (`pip install .`)."""
    (open_folder / "installed").mkdir()
    return {"editable": Path(sys.executable), "pip install .": fresh_install(open_folder / "installed")}


@pytest.fixture(scope="module")
def course(open_folder: Path) -> dict[str, Path]:
    """A course folder, a data folder and a results folder, each holding a file a student would want."""
    files = {"course": open_folder / "course" / "suites" / "extra.py",
             "data": open_folder / "data" / "t10k-labels-idx1-ubyte",
             "out": open_folder / "graded" / "alice" / "results.json"}
    for path in files.values():
        path.parent.mkdir(parents=True)
        path.write_text("what a student must not read\n")
    return files


@pytest.mark.parametrize("assignment", ["conv", "lenet"], ids=["numpy", "torch"])
@pytest.mark.parametrize("mode", ["editable", "pip install ."])
def test_no_child_reads_the_reference_the_suites_the_course_the_data_or_the_results(
        installs: dict[str, Path], course: dict[str, Path], tmp_path: Path, mode: str, assignment: str) -> None:
    submission = tmp_path / f"{assignment}.py"
    submission.write_text(SNOOP)
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GRADER_COURSE": str(course["course"].parents[1]),
                   "GRADER_DATA_DIR": str(course["data"].parent)}
    run = subprocess.run([str(installs[mode]), "-c", READ, assignment, str(submission),
                          json.dumps([str(path) for path in course.values()])],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600, env=environment)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.splitlines()[-1])
    if not seen["level"].startswith(("strict", "landlock")):
        pytest.skip(f"no Landlock on this kernel: {seen['level']}")
    assert (mode == "editable") == (str(ROOT) in seen["installed"]), seen["installed"]
    assert set(seen["own"].values()) == {"read"}, seen["own"]
    assert set(seen["secret"].values()) <= {"PermissionError", "FileNotFoundError"}, seen
