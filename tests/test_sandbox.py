"""The trust boundary: student code runs in a clean child process, and only data comes back."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from conftest import as_notebook

from grader import compare
from grader.sandbox import wire
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.policy import Limits, Policy
from grader.sandbox.process import Sandbox
from grader.submission import load_submission
from grader.suites.framework import numpy_only

CODE = '''
import os, sys
import numpy as np

print("loaded")

def modules():
    return sorted(name for name in sys.modules if name.split(".")[0] in ("grader", "reference", "torch"))

def where():
    return os.getcwd(), sorted(os.listdir(".")), sorted(k for k in os.environ if "GRADER" in k)

def double(x):
    print("doubling", x.shape)
    return 2 * x, {"kept": x}

def unkeep(cache):
    return cache["kept"]

def hang():
    while True:
        pass

def sneaky_torch():
    return __import__("to" + "rch")

def subclass():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros(3).view(Lying)

def objects():
    return np.array([1, "a"], dtype=object)

def mean_of_nothing():
    total, count = 0.0, 0
    return total / count  # the line a student must see
'''


@pytest.fixture
def sandbox(tmp_path: Path):
    (tmp_path / "conv.py").write_text(CODE)
    policy = Policy(limits=Limits(call_seconds=2), blocked_imports=numpy_only("conv").blocked_imports)
    with Sandbox(load_submission(tmp_path / "conv.py", "conv"), policy) as box:
        yield box


def test_child_inherits_nothing_of_the_grader(sandbox: Sandbox) -> None:
    assert sandbox.load().cell_errors == ()
    assert sandbox.call("modules").value == []
    cwd, files, grader_variables = sandbox.call("where").value
    assert files == [] and grader_variables == [] and "grader-child-" in cwd


def test_arrays_cross_as_data_and_caches_stay_in_the_child(sandbox: Sandbox) -> None:
    x = np.arange(6.0).reshape(2, 3)
    out, cache = sandbox.call("double", x, keep=(1,)).value
    assert isinstance(cache, wire.Handle)
    np.testing.assert_array_equal(out, 2 * x)
    np.testing.assert_array_equal(sandbox.call("unkeep", cache).value, x)
    assert sandbox.take_output() == "loaded\ndoubling (2, 3)\n"


def test_timeout_kills_the_call_and_the_next_call_runs_in_a_new_child(sandbox: Sandbox) -> None:
    with pytest.raises(StudentCodeError, match="timed out after 2 s") as error:
        sandbox.call("hang")
    assert error.value.kind == "timeout"
    assert sandbox.call("modules").value == []


def test_stale_cache_after_a_restart_is_reported(sandbox: Sandbox) -> None:
    _, cache = sandbox.call("double", np.ones(2), keep=(1,)).value
    with pytest.raises(StudentCodeError):
        sandbox.call("hang")
    with pytest.raises(StudentCodeError, match="cache from the forward call was lost"):
        sandbox.call("unkeep", cache)


def test_a_raise_shows_the_students_source_line_in_a_file_and_in_a_notebook(sandbox: Sandbox,
                                                                            tmp_path: Path) -> None:
    with pytest.raises(StudentCodeError) as raised:
        sandbox.call("mean_of_nothing")
    assert 'File "conv.py", line 38, in mean_of_nothing\n    return total / count  # the line' in raised.value.traceback
    notebook = as_notebook(tmp_path / "conv.py", tmp_path / "conv.ipynb")
    with Sandbox(load_submission(notebook, "conv"), Policy(limits=Limits(call_seconds=2))) as box:
        with pytest.raises(StudentCodeError) as raised:
            box.call("mean_of_nothing")
    assert 'File "conv.ipynb, cell 3", line 38, in mean_of_nothing\n    return total / count  # the line' in raised.value.traceback


def test_forbidden_module_through_a_built_name_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(StudentCodeError, match="torch is not allowed in the conv assignment"):
        sandbox.call("sneaky_torch")


def test_array_subclass_and_object_array_are_described_never_rebuilt(sandbox: Sandbox) -> None:
    lying, objects = sandbox.call("subclass").value, sandbox.call("objects").value
    assert isinstance(lying, wire.Foreign) and "numpy.ndarray subclass" in lying.type_name
    problem = compare.check_array("out", lying, np.zeros(3))
    assert problem and "expected a numpy.ndarray" in problem.message
    assert isinstance(objects, wire.Foreign) and "dtype object" in objects.type_name


def test_wire_refuses_pickled_and_malformed_arrays() -> None:
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({"$array": 0}, [pickled.getvalue()])
    with pytest.raises(wire.WireError):
        wire.decode({"$array": 0}, [b"\x93NUMPY garbage"])
    with pytest.raises(wire.WireError):
        wire.decode({"$array": 3}, [])


def test_wire_refuses_oversized_headers() -> None:
    stream = io.BytesIO((wire.MAX_HEADER_BYTES + 1).to_bytes(4, "big") + b"{}")
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.read_message(stream.read)


SNOOP = '''
import os, socket
def snoop(paths):
    found = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                found[path] = len(handle.read(10))
        except OSError as error:
            found[path] = type(error).__name__
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
        found["tcp"] = "connected"
    except OSError as error:
        found["tcp"] = type(error).__name__
    return found
'''


def test_landlock_hides_the_reference_and_the_data_and_blocks_tcp(tmp_path: Path) -> None:
    from conftest import ROOT, SHARED

    (tmp_path / "conv.py").write_text(SNOOP)
    with Sandbox(load_submission(tmp_path / "conv.py", "conv"), numpy_only("conv")) as box:
        box.load()
        if not box.level.startswith(("strict", "landlock")):
            pytest.skip(f"no Landlock on this kernel: {box.level}")
        secrets = [str(ROOT / "reference" / "conv.py"), str(SHARED / "data" / "mnist" / "README.md"),
                   str(tmp_path / "conv.py")]
        found = box.call("snoop", secrets).value
    # What is promised is "unreadable": where the Python installation is exposed through a private mount (a clone
    # under a 0700 folder), these paths do not even exist for the child, which is as good.
    assert all(found[path] in ("PermissionError", "FileNotFoundError") for path in secrets), found
    assert found["tcp"] == "PermissionError"
