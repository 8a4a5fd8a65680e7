"""What a grade loads before it grades: PyTorch only where an oracle computes with it, fetched on a thread as soon as
such an oracle is made (grader/oracles/lazy_torch.py), unless a cold `grader check` has a torch process of its own
for it (tests/test_torch_process.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # grades end to end: make test-fast leaves it out, CI runs it


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter in the repository (as `python -m grader.cli` runs); its stdout."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_instructors_params_check_never_imports_torch() -> None:
    printed = run_python("""
import contextlib, io, sys
from grader.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["check", "params", "reference/params.py", "--no-daemon"])
print(code, "all passed" in out.getvalue(), "torch" in sys.modules)
""")
    assert printed.split() == ["0", "True", "False"]


def test_the_conv_suite_loads_without_torch_and_its_reference_oracle_fetches_it_meanwhile() -> None:
    printed = run_python("""
import sys, threading
from grader.oracles import oracle_for
from grader.suites import get_suite
suite = get_suite("conv")
print("torch" in sys.modules)
oracle = oracle_for(suite, "reference")
fetching = [thread for thread in threading.enumerate() if thread.name == "import torch"]
fetching[0].join()
print(len(fetching), "torch.nn.functional" in sys.modules, oracle.name)
""")
    assert printed.split() == ["False", "1", "True", "reference"]
